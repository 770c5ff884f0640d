// serverless.yml reads the logPrefix parameter through this file, so a
// prefix that would widen the roles fails at package time. IAM matches
// resources and the s3:prefix condition as strings: "AWSLogs/123" would also
// cover "AWSLogs/1234…", a sibling account's logs, so a prefix must end at a
// "/"; and "*", "?" or "${" inside it would be a wildcard or a substitution
// in the policies. Empty means the whole bucket.
'use strict';

module.exports = async ({ resolveVariable }) => {
  const prefix = (await resolveVariable('param:logPrefix')) ?? '';
  if (typeof prefix !== 'string') {
    throw new Error(`logPrefix: expected a key prefix, got ${JSON.stringify(prefix)}`);
  }
  if (prefix === '') return '';
  const problems = [];
  if (!prefix.endsWith('/')) {
    problems.push(
      `it must end with "/" (a prefix that does not end at a folder also covers its siblings: "${prefix}" covers "${prefix}0…"); use "${prefix}/"`,
    );
  }
  if (prefix.startsWith('/')) problems.push('S3 keys written by ELB do not start with "/"');
  if (/[*?]|\$\{/.test(prefix)) {
    problems.push('"*", "?" and "${" would be wildcards or substitutions in the IAM policies');
  }
  if (problems.length > 0) {
    throw new Error(`logPrefix ${JSON.stringify(prefix)}: ${problems.join('; ')}`);
  }
  return prefix;
};
