// Written by policyctl build: starts Pagefind's search UI on a search page (search/<lang>.html).
// The index holds site-absolute URLs ("/program/..."); they are made relative to this page, so the
// site works in any folder of a web server.
window.addEventListener("DOMContentLoaded", function () {
  function relative(url) { return url.charAt(0) === "/" ? ".." + url : url; }
  new PagefindUI({
    element: "#search",
    autofocus: true,
    showSubResults: true,
    showImages: false,
    processResult: function (result) {
      result.url = relative(result.url);
      (result.sub_results || []).forEach(function (sub) { sub.url = relative(sub.url); });
      return result;
    },
  });
  // The search box is named by the page's heading (Pagefind's UI names it by its title only).
  var box = document.querySelector("#search .pagefind-ui__search-input");
  if (box) box.setAttribute("aria-labelledby", "search-title");
  // What the UI says of the results ("3 results for fee"), said again in a status region, which a
  // screen reader reads out as it changes: the UI's own message is only seen.
  var search = document.getElementById("search"), status = document.getElementById("search-status");
  new MutationObserver(function () {
    var message = search.querySelector(".pagefind-ui__message");
    var text = message ? message.textContent : "";
    if (status.textContent !== text) status.textContent = text;
  }).observe(search, { childList: true, subtree: true, characterData: true });
});
