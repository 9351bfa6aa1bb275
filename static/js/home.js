// Entry point of the home page: the language switch (the page is otherwise static HTML).

import * as i18n from "./i18n.js";

const strings = JSON.parse(document.getElementById("i18n-strings").textContent);
const lang = document.documentElement.dataset.lang || "en";
i18n.init(strings, lang, {});

for (const b of document.querySelectorAll(".lang-btn")) b.addEventListener("click", () => i18n.use(b.dataset.lang));
const preferred = i18n.preferred();
if (!i18n.addressLang(location.search) && preferred !== lang) i18n.use(preferred);
