// Every URL the page uses, in one place: the JSON API, the pages, permalinks and short links, examples and the
// interface strings. Other modules never spell a path themselves.

export const API = "/api/v1";

export const api = {
  trace: `${API}/trace`,
  parse: `${API}/parse`,
  layers: `${API}/layers`,
  permalink: `${API}/permalink`,
  links: `${API}/links`,
  compare: `${API}/compare`,
  train: `${API}/train`,
  /** GET one short link's stored state: /api/v1/links/k3v7q2x9ab */
  link: (id) => `${API}/links/${encodeURIComponent(id)}`,
};

export const home = "/";
export const explain = "/explain";

/** A permalink page: the view is in the token. permalink("1.q1Yq") -> "/v/1.q1Yq" */
export const permalink = (token) => `/v/${encodeURIComponent(token)}`;

/** A short link page: shortLink("k3v7q2x9ab") -> "/s/k3v7q2x9ab" */
export const shortLink = (id) => `/s/${encodeURIComponent(id)}`;

/** An example of the gallery: example("batchnorm-channels") -> "/examples/batchnorm-channels" */
export const example = (slug) => `/examples/${encodeURIComponent(slug)}`;

/** The interface strings of a language, when the page did not say where they are (it sends hashed URLs). */
export const strings = (lang) => `/static/i18n/${encodeURIComponent(lang)}.json`;
