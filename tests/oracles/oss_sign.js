// Oracle for Beacon's OSS signers: signs requests with the official ali-oss SDK
// (lib/common/signUtils) so tests can compare Beacon's V1 and V4 output byte for byte.
// Input (stdin): JSON array of {method, bucket, key, query: [[name, value], ...], headers: {},
//   date, oss_date, region, access_key_id, secret}. `date` is the V1 Date line; for V4 the
//   headers get x-oss-date: <oss_date> and x-oss-content-sha256: UNSIGNED-PAYLOAD added.
//   An empty query value means a bare parameter ("uploads").
// Output (stdout): JSON array of {v1_string_to_sign, v1_authorization, v4_canonical_request,
//   v4_authorization}, one per input, in order.
'use strict';
const path = require('path');

const sourceDir = process.env.BEACON_SOURCE_DIR || path.join(__dirname, '..', '..');
const signUtils = require(path.join(sourceDir, 'tests', 'node', 'node_modules', 'ali-oss', 'lib',
                                    'common', 'signUtils'));

// ali-oss callers pass only the V1 sub-resources as `parameters`; these are the ones Beacon's
// requests carry (others such as prefix or max-keys are not signed by V1).
const V1_SUB_RESOURCES = new Set(['acl', 'continuation-token', 'partNumber', 'restore',
  'response-content-type', 'uploadId', 'uploads', 'x-oss-process', 'tagging', 'versionId']);

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', chunk => { input += chunk; });
process.stdin.on('end', () => {
  const requests = JSON.parse(input);
  const out = requests.map(r => {
    const parameters = {};
    const queries = {};
    for (const [name, value] of r.query) {
      if (V1_SUB_RESOURCES.has(name)) parameters[name] = value;
      // qs with strictNullHandling renders null as the bare name, as OSS V4 wants for "".
      queries[name] = value === '' ? null : value;
    }
    const resource = r.bucket ? `/${r.bucket}/${r.key}` : '/';
    const v1 = signUtils.buildCanonicalString(r.method, resource,
      { headers: r.headers, parameters }, r.date);
    const v1Auth = signUtils.authorization(r.access_key_id, r.secret, v1, 'utf-8');
    const lowered = {};
    for (const [k, v] of Object.entries(r.headers)) lowered[k.toLowerCase()] = v;
    lowered['x-oss-date'] = r.oss_date;
    lowered['x-oss-content-sha256'] = 'UNSIGNED-PAYLOAD';
    const v4Canonical = signUtils.getCanonicalRequest(r.method, { headers: lowered, queries },
      r.bucket, r.key, []);
    const v4Auth = signUtils.authorizationV4(r.access_key_id, r.secret, r.region, r.method,
      { headers: lowered, queries }, r.bucket, r.key, []);
    return { v1_string_to_sign: v1, v1_authorization: v1Auth,
             v4_canonical_request: v4Canonical, v4_authorization: v4Auth };
  });
  process.stdout.write(JSON.stringify(out));
});
