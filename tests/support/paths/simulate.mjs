// Evaluates a batch of IAM requests with @cloud-copilot/iam-simulate, AWS's evaluation logic for identity
// policies, resource policies (trust and key policies included) and their conditions.
// stdin: a JSON list of simulations; stdout: a JSON list of {result, errors} in the same order.
import { runSimulation } from '@cloud-copilot/iam-simulate'

const chunks = []
for await (const chunk of process.stdin) chunks.push(chunk)
const simulations = JSON.parse(Buffer.concat(chunks).toString('utf8'))
const results = []
for (const simulation of simulations) {
  const response = await runSimulation(simulation, {})
  results.push(
    response.resultType === 'error'
      ? { result: 'Error', errors: response.errors }
      : { result: response.overallResult, errors: null }
  )
}
process.stdout.write(JSON.stringify(results))
