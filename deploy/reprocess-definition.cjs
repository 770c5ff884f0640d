// serverless.yml loads the reprocessing state machine through this file:
// statemachines/reprocess.asl.json names each Lambda it calls with a
// placeholder ("${PlanFunctionArn}", as AWS's DefinitionSubstitutions would),
// so the same definition runs locally (shared/local/run-reprocess.ts) and in
// AWS. Here each placeholder becomes {"Fn::GetAtt": [<function>, "Arn"]}; the
// step-functions plugin turns that into the function's ARN.
'use strict';

const { readFileSync } = require('node:fs');
const path = require('node:path');

/** Placeholder → the serverless.yml function it stands for. */
const FUNCTIONS = {
  PlanFunctionArn: 'plan',
  ProcessChunkFunctionArn: 'processChunk',
  ReportFunctionArn: 'report',
};

const PLACEHOLDER = /^\$\{(\w+)\}$/;

function substitute(value, where) {
  if (Array.isArray(value)) return value.map((item, i) => substitute(item, `${where}[${i}]`));
  if (value !== null && typeof value === 'object') {
    const result = {};
    for (const [key, item] of Object.entries(value))
      result[key] = substitute(item, `${where}.${key}`);
    return result;
  }
  if (typeof value !== 'string' || !value.includes('${')) return value;
  const match = PLACEHOLDER.exec(value);
  const fn = match && FUNCTIONS[match[1]];
  if (!fn) {
    throw new Error(
      `statemachines/reprocess.asl.json ${where}: ${JSON.stringify(value)} is not one of ` +
        Object.keys(FUNCTIONS)
          .map((name) => `\${${name}}`)
          .join(', '),
    );
  }
  return { 'Fn::GetAtt': [fn, 'Arn'] };
}

module.exports = () =>
  substitute(
    JSON.parse(
      readFileSync(path.join(__dirname, '..', 'statemachines', 'reprocess.asl.json'), 'utf8'),
    ),
    'definition',
  );
