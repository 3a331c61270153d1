// The record form, enhanced: the article list offers only the chosen instrument's
// articles, and choosing an article sets the type it designates.  Without this script
// the form works the same; the server checks the same rule and says so beside the field.
(function () {
  "use strict";

  function enhance(designation) {
    const instrument = designation.querySelector("[data-instrument-select]");
    const article = designation.querySelector("[data-article-select]");
    const type = designation.querySelector("[data-type-select]");
    if (!instrument || !article || !type) return;

    function offerArticles() {
      for (const group of article.querySelectorAll("optgroup")) {
        const offered = !instrument.value || group.dataset.instrument === instrument.value;
        group.hidden = !offered;
        group.disabled = !offered;
      }
      const chosen = article.selectedOptions[0];
      if (chosen && chosen.parentElement.disabled) article.selectedIndex = 0;
    }

    function followArticle() {
      const chosen = article.selectedOptions[0];
      if (!chosen || !chosen.dataset.type) return;
      type.value = chosen.dataset.type;
      if (!instrument.value) {
        instrument.value = chosen.parentElement.dataset.instrument || "";
        offerArticles();
      }
    }

    instrument.addEventListener("change", offerArticles);
    article.addEventListener("change", followArticle);
    offerArticles();
  }

  document.querySelectorAll("form.record-form fieldset.designation").forEach(enhance);
})();
