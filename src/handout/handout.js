// Predict, then reveal: each scenario's results stay hidden until the
// student's probabilities add up to 100% and they ask to see them; the
// page then scores the prediction. Nothing is sent or stored anywhere.
(function () {
  "use strict";
  function pct(x) { return (100 * x).toFixed(1) + "%"; }
  // The Brier score a forecast f earns on average when the ending is drawn
  // from the simulated probabilities p: sum_i p_i sum_j (f_j - [i = j])^2.
  function brier(f, p) {
    var ff = 0, fp = 0, sp = 0;
    for (var j = 0; j < f.length; j++) { ff += f[j] * f[j]; fp += f[j] * p[j]; sp += p[j]; }
    return ff - 2 * fp + sp;
  }
  document.querySelectorAll("section.scenario").forEach(function (section) {
    var form = section.querySelector("form.predict");
    if (!form) return;
    var numbers = Array.prototype.slice.call(form.querySelectorAll("input.predict-p"));
    var sliders = Array.prototype.slice.call(form.querySelectorAll("input.slider"));
    var total = form.querySelector(".total");
    var button = form.querySelector("button.reveal");
    function value(input) { var v = parseFloat(input.value); return isFinite(v) ? Math.min(100, Math.max(0, v)) : 0; }
    function update() {
      var sum = numbers.reduce(function (s, n) { return s + value(n); }, 0);
      total.querySelector("output").textContent = String(Math.round(sum * 10) / 10);
      var ok = Math.abs(sum - 100) < 0.5;
      total.classList.toggle("ok", ok);
      button.disabled = !ok;
    }
    numbers.forEach(function (n, i) {
      n.addEventListener("input", function () { sliders[i].value = String(value(n)); update(); });
      sliders[i].addEventListener("input", function () { n.value = sliders[i].value; update(); });
    });
    button.addEventListener("click", function () {
      var f = [], p = [], labels = [];
      numbers.forEach(function (n) {
        var row = section.querySelector('tr.result[data-id="' + n.dataset.id + '"]');
        f.push(value(n) / 100);
        p.push(parseFloat(row.dataset.p));
        labels.push(row.querySelector("th").firstChild.textContent.trim());
      });
      var score = brier(f, p), own = brier(p, p), even = brier(f.map(function () { return 1 / f.length; }), p);
      var worst = 0;
      for (var j = 1; j < f.length; j++) if (Math.abs(f[j] - p[j]) > Math.abs(f[worst] - p[worst])) worst = j;
      var box = section.querySelector(".score");
      box.dataset.brier = String(score);
      box.dataset.surprise = numbers[worst].dataset.id;
      box.innerHTML = "";
      var lines = [
        "Your Brier score: " + score.toFixed(3) + " (lower is better; 0 would be certain foresight of a certain ending). " +
          "The simulation's own forecast scores " + own.toFixed(3) + "; an even spread over the " + f.length + " endings, " + even.toFixed(3) + ".",
        "The ending furthest from what you expected: " + labels[worst] + " \u2014 you gave it " + pct(f[worst]) + ", the simulation " + pct(p[worst]) + "."
      ];
      var reason = form.querySelector("textarea").value.trim();
      if (reason) lines.push("Your reasoning: " + reason);
      lines.forEach(function (text) { var para = document.createElement("p"); para.textContent = text; box.appendChild(para); });
      section.classList.add("revealed");
      numbers.concat(sliders).forEach(function (n) { n.disabled = true; });
      button.disabled = true;
      box.scrollIntoView({ block: "nearest" });
    });
    update();
  });
})();
