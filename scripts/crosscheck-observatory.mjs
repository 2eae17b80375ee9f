// Grades one loopback site with @mdn/mdn-http-observatory's own code, as
// its scanner/index.js scan() does, but with the http and https ports of
// the test servers (scan() has no port options; retrieve() has).
// Usage: node crosscheck-observatory.mjs MODULE_DIR HOST HTTP_PORT HTTPS_PORT
// Prints {"grade":..,"score":..,"tests":{name: result}} or {"error":..}.
import path from "node:path";
import { pathToFileURL } from "node:url";

const [moduleDir, host, httpPort, httpsPort] = process.argv.slice(2);
const mod = (p) => import(pathToFileURL(path.join(moduleDir, "src", p)).href);
const { retrieve } = await mod("retriever/retriever.js");
const { ALL_TESTS } = await mod("constants.js");
const { getGradeForScore, getScoreModifier } = await mod("grader/grader.js");
const { MINIMUM_SCORE_FOR_EXTRA_CREDIT } = await mod("grader/charts.js");

try {
  const r = await retrieve(host, { httpPort, httpsPort });
  if (!r.responses.auto) throw new Error("The site seems to be down.");
  const { status } = r.responses.auto;
  if (status < 200 || (status >= 400 && ![401, 403].includes(status))) {
    throw new Error(`Site did respond with an unexpected HTTP status code ${status}.`);
  }
  // From here on, scanner/index.js's scoring, unchanged.
  const results = ALL_TESTS.map((test) => test(r));
  let scoreWithExtraCredit = 100;
  let uncurvedScore = 100;
  const tests = {};
  for (const result of results) {
    if (result.result) {
      const m = getScoreModifier(result.result);
      scoreWithExtraCredit += m;
      if (m < 0) uncurvedScore += m;
    }
    tests[result.constructor.name] = result.result;
  }
  const score = uncurvedScore >= MINIMUM_SCORE_FOR_EXTRA_CREDIT ? scoreWithExtraCredit : uncurvedScore;
  const final = getGradeForScore(score);
  console.log(JSON.stringify({ grade: final.grade, score: final.score, tests }));
} catch (e) {
  console.log(JSON.stringify({ error: String(e && e.message ? e.message : e) }));
}
