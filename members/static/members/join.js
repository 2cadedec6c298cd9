// Live union search for the join form: asks the public organisations API as the worker types.
// Without JavaScript the "Search" button does the same on the server.
(function () {
  "use strict";
  var input = document.getElementById("id_union_query");
  var list = document.getElementById("union-results");
  var empty = document.getElementById("union-empty");
  if (!input || !list) { return; }
  var timer = null;
  var latest = 0;

  function row(union, checked) {
    var item = document.createElement("li");
    var label = document.createElement("label");
    var radio = document.createElement("input");
    radio.type = "radio"; radio.name = "organization"; radio.value = union.id; radio.checked = checked;
    var text = document.createElement("span");
    var name = document.createElement("strong"); name.textContent = union.name;
    var path = document.createElement("small"); path.textContent = (union.path || []).join(" / ");
    text.appendChild(name); text.appendChild(path);
    label.appendChild(radio); label.appendChild(text); item.appendChild(label);
    return item;
  }

  function search() {
    var query = input.value.trim();
    if (!query) { return; }
    var ticket = ++latest;
    fetch(input.dataset.api + "?q=" + encodeURIComponent(query), { headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (body) {
        if (ticket !== latest) { return; }
        var chosen = list.querySelector("input:checked");
        var chosenId = chosen ? chosen.value : null;
        var keep = chosen ? chosen.closest("li") : null;
        list.textContent = "";
        if (keep) { list.appendChild(keep); }
        body.results.forEach(function (union) {
          if (String(union.id) !== chosenId) { list.appendChild(row(union, false)); }
        });
        empty.hidden = body.results.length > 0;
      })
      .catch(function () { /* offline: the Search button still works */ });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 300);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); clearTimeout(timer); search(); }
  });
})();
