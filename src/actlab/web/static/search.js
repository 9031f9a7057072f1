// actlab explorer: the activation list's fuzzy search (pure functions of the catalog's facts).

import { pretty } from "./core.js";

// Fuzzy search: every word of the query must match the name or an alias (exactly, as a prefix or
// substring, as a subsequence such as "swsh" in swish, or within one or two typos such as
// "gleu"), or appear in the family, kind, summary or citation. Best matches first.
function editDistance(a, b) {  // Damerau–Levenshtein (optimal string alignment)
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

function isSubsequence(word, text) {
  let i = 0;
  for (const ch of text) if (ch === word[i]) i++;
  return i === word.length;
}

function wordScore(word, s) {
  let best = 0;
  const names = [s.name, ...s.aliases].map((n) => n.toLowerCase());
  names.forEach((name, k) => {
    const penalty = k ? 4 : 0;  // an alias counts a little less than the name
    const bare = name.replace(/[_-]/g, "");
    let score = 0;
    if (name === word || bare === word) score = 100;
    else if (name.startsWith(word) || bare.startsWith(word)) score = 85 - (name.length - word.length);
    else if (name.includes(word)) score = 70 - (name.length - word.length);
    else if (word.length >= 3) {
      // loose letters and typos compete: "gleu" is one typo from gelu, and only a loose
      // subsequence of general_relu, so gelu ranks first (each unmatched letter costs 3)
      const extra = bare.length - word.length;
      if (isSubsequence(word, bare)) score = (word[0] === bare[0] ? 60 : 45) - 3 * extra;
      const d = Math.min(editDistance(word, bare), editDistance(word, bare.slice(0, word.length)) + 1);
      if (d <= (word.length >= 6 ? 2 : 1)) score = Math.max(score, 52 - 8 * d);
    }
    best = Math.max(best, score - penalty);
  });
  if (!best && word.length >= 2) {
    const hay = [pretty(s.family), s.family, s.kind, s.summary, s.citation].join(" ").toLowerCase();
    if (hay.includes(word)) best = 20;
  }
  return best;
}

export function searchScore(query, s) {
  let total = 0;
  for (const word of query.split(/\s+/).filter(Boolean)) {
    const score = wordScore(word, s);
    if (!score) return 0;
    total += score;
  }
  return total;
}
