// With ingestMode "s3", the framework adds a function of its own that writes
// the ingest trigger into the existing log bucket's notification settings,
// with a role allowed to change the permissions of any function in the
// account. Merged into that role (statement by statement, part by part),
// this narrows it to the ingest function. With ingestMode "sqs" there is no
// such function, and nothing to add.
'use strict';

module.exports = async ({ resolveVariable }) => {
  if ((await resolveVariable('param:ingestMode')) !== 's3') return {};
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  return {
    Resources: {
      IamRoleCustomResourcesLambdaExecution: {
        Type: 'AWS::IAM::Role',
        Properties: {
          Policies: [
            {
              PolicyDocument: {
                Statement: [
                  {},
                  {
                    Resource: {
                      'Fn::Join': [
                        ':',
                        [
                          'arn',
                          { Ref: 'AWS::Partition' },
                          'lambda',
                          { Ref: 'AWS::Region' },
                          { Ref: 'AWS::AccountId' },
                          'function',
                          `${service}-${stage}-ingest`,
                        ],
                      ],
                    },
                  },
                ],
              },
            },
          ],
        },
      },
    },
  };
};
