// Written by policyctl build: starts Pagefind's search UI on a search page.
window.addEventListener("DOMContentLoaded", function () {
  new PagefindUI({ element: "#search", showSubResults: true, showImages: false, resetStyles: false });
});
