/* Tocsin: when a callback answers 401 (the API token expired or was revoked, see
   dashboard/auth.py), go to the sign-in page and come back here afterwards. */
(function () {
  "use strict";
  var originalFetch = window.fetch.bind(window);
  window.fetch = function (input, init) {
    return originalFetch(input, init).then(function (response) {
      var url = typeof input === "string" ? input : (input && input.url) || "";
      if (response.status === 401 && url.indexOf("_dash-update-component") !== -1) {
        var back = window.location.pathname + window.location.search;
        window.location.assign(
          "/login?error=expired&next=" + encodeURIComponent(back)
        );
      }
      return response;
    });
  };
})();
