// Oracle for Beacon's Alibaba Cloud RPC signature V1: signs parameter sets with the official
// @alicloud/openapi-util SDK (getRPCSignature) so tests can compare Beacon's output and check
// that tests/fakes/aliyun_server.py accepts what the SDK signs.
// Input (stdin): JSON array of {method, secret, params: {name: value}} (string values).
// Output (stdout): JSON array of signatures (base64), one per input, in order.
'use strict';
const path = require('path');

const sourceDir = process.env.BEACON_SOURCE_DIR || path.join(__dirname, '..', '..');
const OpenApiUtil = require(path.join(sourceDir, 'tests', 'node', 'node_modules', '@alicloud',
                                      'openapi-util')).default;

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', chunk => { input += chunk; });
process.stdin.on('end', () => {
  const requests = JSON.parse(input);
  const out = requests.map(r => OpenApiUtil.getRPCSignature(r.params, r.method, r.secret));
  process.stdout.write(JSON.stringify(out));
});
