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
});
