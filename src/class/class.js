// The live session's pages: join, a student's (predict, wait for the
// reveal, see the results and the class, explore) and the teacher's
// dashboard. They talk to the API of docs/class.md only.
(function () {
  "use strict";
  var kind = document.body.dataset.page;
  function pct(x) { return (100 * x).toFixed(1) + "%"; }
  function api(method, url, body, token) {
    var headers = { "Content-Type": "application/json" };
    if (token) headers.Authorization = "Bearer " + token;
    return fetch(url, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined })
      .then(function (r) { return r.json().then(function (j) { return { status: r.status, body: j }; }); });
  }
  function cell(tr, text) { var td = document.createElement("td"); td.textContent = text; tr.appendChild(td); return td; }
  function row(tbody, cells) { var tr = document.createElement("tr"); cells.forEach(function (c) { cell(tr, c); }); tbody.appendChild(tr); return tr; }

  if (kind === "join") {
    var form = document.querySelector("form.join");
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      api("POST", "/api/join", { code: form.code.value, student: form.student.value }).then(function (r) {
        if (r.status !== 200) { form.querySelector(".error").textContent = r.body.error; return; }
        location.href = "/s/" + encodeURIComponent(r.body.scenario) + "?student=" + encodeURIComponent(r.body.student);
      });
    });
  }

  if (kind === "student") {
    var section = document.querySelector("section.scenario");
    var id = section.dataset.scenario;
    var student = new URLSearchParams(location.search).get("student") || "";
    section.querySelector(".student").textContent = student || "(no name: join from the first page)";
    var predict = section.querySelector("form.predict");
    var inputs = Array.prototype.slice.call(predict.querySelectorAll("input.predict-p"));
    var button = predict.querySelector("button.submit");
    var state = predict.querySelector(".state");
    var mine = null;
    function values() { return inputs.map(function (n) { var v = parseFloat(n.value); return isFinite(v) ? v : 0; }); }
    function update() {
      var sum = values().reduce(function (a, b) { return a + b; }, 0);
      predict.querySelector(".total output").textContent = String(Math.round(sum * 10) / 10);
      button.disabled = !student || Math.abs(sum - 100) > 0.5;
    }
    inputs.forEach(function (n) { n.addEventListener("input", update); });
    predict.addEventListener("submit", function (e) {
      e.preventDefault();
      var p = {};
      inputs.forEach(function (n, i) { p[n.dataset.id] = values()[i] / 100; });
      api("POST", "/api/predictions", { student: student, scenario: id, p: p, reason: predict.querySelector("textarea").value })
        .then(function (r) {
          if (r.status === 201) { mine = p; state.textContent = "Submitted. You can change it until the reveal."; }
          else state.textContent = r.body.error;
        });
    });
    update();
    var shown = false;
    function poll() {
      var q = "?scenario=" + encodeURIComponent(id);
      api("GET", "/api/revealed" + q).then(function (r) {
        if (r.status !== 200 || !r.body.revealed) { setTimeout(poll, 2000); return; }
        return api("GET", "/api/results" + q).then(function (res) {
          if (res.status !== 200) { setTimeout(poll, 2000); return; }
          if (!shown) { shown = true; reveal(res.body); }
        });
      }, function () { setTimeout(poll, 4000); });
    }
    function reveal(res) {
      inputs.forEach(function (n) { n.disabled = true; });
      button.disabled = true;
      state.textContent = "The teacher has revealed the results.";
      var results = section.querySelector(".results");
      var tbody = results.querySelector("table.outcomes tbody");
      var f = inputs.map(function (n) { return values()[inputs.indexOf(n)] / 100; });
      res.outcomes.forEach(function (o, i) {
        var tr = row(tbody, [o.label, pct(o.p), pct(o.ci95[0]) + " to " + pct(o.ci95[1]), mine ? pct(f[i]) : "-",
          o.class_mean === null ? "-" : pct(o.class_mean) + " (" + o.class_n + ")"]);
        tr.className = "result"; tr.dataset.id = o.id; tr.dataset.p = String(o.p);
      });
      var score = results.querySelector(".score");
      var me = res.brier.filter(function (b) { return b.student === student; })[0];
      var lines = [];
      if (me) {
        score.dataset.brier = String(me.score);
        var better = res.brier.filter(function (b) { return b.score < me.score; }).length;
        lines.push("Your Brier score: " + me.score.toFixed(3) + " (lower is better; the simulation's own: " + res.own_brier.toFixed(3) + "). " +
          better + " of the class's " + res.brier.length + " predictions scored better.");
      } else lines.push("You did not submit a prediction for this scenario.");
      lines.forEach(function (t) { var p = document.createElement("p"); p.textContent = t; score.appendChild(p); });
      // The chart is the server's own SVG (every label escaped there).
      results.querySelector("figure.chart").innerHTML = res.chart;
      var stories = results.querySelector(".stories");
      res.stories.slice(0, 2).forEach(function (s) {
        var art = document.createElement("article"); art.className = "story";
        var h = document.createElement("h4"); h.textContent = s.title; art.appendChild(h);
        var ol = document.createElement("ol"); ol.className = "told";
        s.lines.forEach(function (l) { var li = document.createElement("li"); li.textContent = l.date + " " + l.text; ol.appendChild(li); });
        art.appendChild(ol);
        if (s.against) { var a = document.createElement("p"); a.className = "against"; a.textContent = s.against; art.appendChild(a); }
        stories.appendChild(art);
      });
      results.hidden = false;
      section.querySelector(".explore").hidden = false;
    }
    var change = section.querySelector("form.change");
    if (change) change.addEventListener("submit", function (e) {
      e.preventDefault();
      var body = { scenario: id };
      var param = change.param && change.param.value;
      var decision = change.decision && change.decision.value;
      if (param) { body.set = {}; body.set[param] = parseFloat(change.value.value); }
      else if (decision) { var kv = decision.split("="); body.do = {}; body.do[kv[0]] = kv[1] === "true" ? true : kv[1] === "false" ? false : kv[1]; }
      var error = change.querySelector(".error");
      error.textContent = "Running…";
      api("POST", "/api/explore", body).then(function (r) {
        if (r.status !== 200) { error.textContent = r.body.error; return; }
        error.textContent = "";
        var table = section.querySelector("table.change-result");
        var tbody = table.querySelector("tbody");
        tbody.innerHTML = "";
        r.body.comparison.outcomes.forEach(function (d) {
          row(tbody, [d.label, pct(d.p_base), pct(d.p), (100 * d.diff).toFixed(1),
            d.diff_ci95 ? (100 * d.diff_ci95[0]).toFixed(1) + " to " + (100 * d.diff_ci95[1]).toFixed(1) : "-"]);
        });
        table.hidden = false;
      });
    });
    poll();
  }

  if (kind === "teacher") {
    var token = new URLSearchParams(location.search).get("token");
    var sections = Array.prototype.slice.call(document.querySelectorAll("section.dash"));
    sections.forEach(function (s) {
      s.querySelector("button.reveal").addEventListener("click", function () { api("POST", "/api/reveal", { scenario: s.dataset.scenario }, token).then(refresh); });
      s.querySelector("button.reset").addEventListener("click", function () {
        if (confirm("Clear every prediction for this scenario?")) api("POST", "/api/reset", { scenario: s.dataset.scenario }, token).then(refresh);
      });
    });
    function refresh() {
      api("GET", "/api/status", null, token).then(function (r) {
        if (r.status !== 200) return;
        r.body.scenarios.forEach(function (sc) {
          var s = document.querySelector('section.dash[data-scenario="' + sc.id + '"]');
          s.querySelector(".counts").textContent = sc.joined.length + " joined, " + sc.submitted.length + " submitted" + (sc.revealed ? "; revealed" : "");
          var ul = s.querySelector("ul.students"); ul.innerHTML = "";
          var done = sc.submitted.map(function (x) { return x.student; });
          sc.joined.concat(done.filter(function (n) { return sc.joined.indexOf(n) < 0; })).forEach(function (n) {
            var li = document.createElement("li"); li.textContent = n; if (done.indexOf(n) >= 0) li.className = "done"; ul.appendChild(li);
          });
          s.querySelector("button.reveal").disabled = sc.revealed;
          var table = s.querySelector("table.spread");
          if (!sc.revealed) { table.hidden = true; s.querySelector("figure.chart").innerHTML = ""; return; }
          if (!table.hidden) return;
          api("GET", "/api/results?scenario=" + encodeURIComponent(sc.id)).then(function (res) {
            if (res.status !== 200) return;
            var tbody = table.querySelector("tbody"); tbody.innerHTML = "";
            res.body.outcomes.forEach(function (o) {
              row(tbody, [o.label, pct(o.p), o.class_mean === null ? "-" : pct(o.class_mean), String(o.class_n)]);
            });
            table.hidden = false;
            s.querySelector("figure.chart").innerHTML = res.body.chart;
          });
        });
      });
    }
    refresh();
    setInterval(refresh, 2000);
  }
})();
