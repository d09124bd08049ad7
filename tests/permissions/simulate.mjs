// A second judge of the deployed roles: @cloud-copilot/iam-simulate, an IAM evaluator built on
// AWS's service authorization data (every condition operator; resource ARNs checked against the
// action's resource types). One request per line on stdin, one answer per line on stdout:
//   {"principal", "action", "resource", "accountId", "context": {key: value}, "policies": [...],
//    "awsOwned": bool}
//   -> {"result": "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied" | "Error", "errors"?, "unvalidated"?}
// AWS's own AppStream images have no account in their ARN, which the authorization data's
// image ARN format does not foresee: such a resource alone is evaluated without that check.
import { createInterface } from 'node:readline'
import { runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate'

for await (const line of createInterface({ input: process.stdin })) {
  const ask = JSON.parse(line)
  const simulation = {
    request: {
      principal: ask.principal,
      action: ask.action,
      resource: { resource: ask.resource, accountId: ask.accountId },
      contextVariables: ask.context,
    },
    identityPolicies: ask.policies.map((policy, index) => ({ name: `policy-${index}`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  }
  const response = await runSimulation(simulation, {})
  let answer
  if (response.resultType !== 'error') {
    answer = { result: response.overallResult }
  } else if (ask.awsOwned && response.errors.message === 'no.resource.types') {
    answer = { result: runUnsafeSimulation(simulation, {}), unvalidated: true }
  } else {
    answer = { result: 'Error', errors: response.errors }
  }
  process.stdout.write(JSON.stringify(answer) + '\n')
}
