// serverless.yml loads the reprocessing state machine through this file:
// statemachines/reprocess.asl.json names each Lambda it calls with a
// placeholder ("${PlanFunctionArn}", as AWS's DefinitionSubstitutions would),
// so the same definition runs locally (shared/local/run-reprocess.ts) and in
// AWS. Here each placeholder becomes {"Fn::GetAtt": [<function>, "Arn"]}; the
// step-functions plugin turns that into the function's ARN. The children's
// execution type ("${ChildExecutionType}") is the childExecutionType
// parameter: EXPRESS (default) or STANDARD; ProcessorConfig has no per-run
// path form, so it is fixed at deployment.
'use strict';

const { readFileSync } = require('node:fs');
const path = require('node:path');

/** Placeholder → the serverless.yml function it stands for. */
const FUNCTIONS = {
  PlanFunctionArn: 'plan',
  ProcessChunkFunctionArn: 'processChunk',
  ReportFunctionArn: 'report',
};

/** The execution types a Distributed Map child may have. */
const EXECUTION_TYPES = ['EXPRESS', 'STANDARD'];

const PLACEHOLDER = /^\$\{(\w+)\}$/;

function substitute(value, where, values) {
  if (Array.isArray(value))
    return value.map((item, i) => substitute(item, `${where}[${i}]`, values));
  if (value !== null && typeof value === 'object') {
    const result = {};
    for (const [key, item] of Object.entries(value))
      result[key] = substitute(item, `${where}.${key}`, values);
    return result;
  }
  if (typeof value !== 'string' || !value.includes('${')) return value;
  const match = PLACEHOLDER.exec(value);
  if (match && match[1] in values) return values[match[1]];
  const fn = match && FUNCTIONS[match[1]];
  if (!fn) {
    throw new Error(
      `statemachines/reprocess.asl.json ${where}: ${JSON.stringify(value)} is not one of ` +
        [...Object.keys(FUNCTIONS), ...Object.keys(values)].map((name) => `\${${name}}`).join(', '),
    );
  }
  return { 'Fn::GetAtt': [fn, 'Arn'] };
}

module.exports = async ({ resolveVariable }) => {
  const type = await resolveVariable('param:childExecutionType');
  if (!EXECUTION_TYPES.includes(type)) {
    throw new Error(
      `childExecutionType: expected ${EXECUTION_TYPES.map((t) => JSON.stringify(t)).join(' or ')}, got ${JSON.stringify(type)}`,
    );
  }
  return substitute(
    JSON.parse(
      readFileSync(path.join(__dirname, '..', 'statemachines', 'reprocess.asl.json'), 'utf8'),
    ),
    'definition',
    { ChildExecutionType: type },
  );
};
