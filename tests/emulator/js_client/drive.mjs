// Drives an AppStream endpoint with the AWS SDK for JavaScript v3 (@aws-sdk/client-appstream).
//
//   node drive.mjs <endpoint-url> <json|smithy-rpc-v2-cbor>
//
// Reads one call a line on stdin, {"operation": "DescribeImages", "input": {...}}, makes it,
// and prints one line per call on stdout:
//   {"status": 200, "output": {...}}                      the command's output without $metadata
//   {"status": 404, "error": {"code", "message", "members"}}   a service error; members are the
//                                                          error shape's own members (Message, ...)
//   {"failure": "..."}                                    the SDK failed before or after the service
// Timestamps are printed as {"$timestamp": <epoch milliseconds>} (a Date's own resolution).
// Credentials and the region come from the environment; no retries.

import { createRequire } from "node:module";
import { createInterface } from "node:readline";

import * as appstream from "@aws-sdk/client-appstream";

const [endpoint, protocolName] = process.argv.slice(2);

// The protocol classes, loaded from the copy of @aws-sdk/core the client itself uses.
const clientRequire = createRequire(import.meta.resolve("@aws-sdk/client-appstream"));
const { AwsJson1_1Protocol, AwsSmithyRpcV2CborProtocol } = clientRequire("@aws-sdk/core/protocols");
const PROTOCOLS = { json: AwsJson1_1Protocol, "smithy-rpc-v2-cbor": AwsSmithyRpcV2CborProtocol };
if (!endpoint || !(protocolName in PROTOCOLS)) {
  process.stderr.write(`usage: drive.mjs <endpoint-url> <${Object.keys(PROTOCOLS).join("|")}>\n`);
  process.exit(2);
}

// The client builds the protocol from this class and its default protocolSettings (namespace,
// error registry, service target); the client's default is AwsJson1_1Protocol.
const client = new appstream.AppStreamClient({
  endpoint,
  protocol: PROTOCOLS[protocolName],
  maxAttempts: 1,
});

// The members every SDK error carries; whatever else an error has came from its error shape.
const ERROR_PROPERTIES = new Set(["name", "message", "stack", "$fault", "$metadata", "$response", "$retryable"]);

function plain(value) {
  if (value instanceof Date) return { $timestamp: value.getTime() };
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Uint8Array) return { $blob: Buffer.from(value).toString("base64") };
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, plain(item)]));
  }
  return value;
}

async function call(operation, input) {
  const Command = appstream[`${operation}Command`];
  if (typeof Command !== "function") return { failure: `the SDK has no ${operation}Command` };
  try {
    const { $metadata, ...output } = await client.send(new Command(input));
    return { status: $metadata.httpStatusCode, output: plain(output) };
  } catch (error) {
    const status = error?.$metadata?.httpStatusCode;
    if (status === undefined) return { failure: String(error?.stack ?? error) };
    const members = Object.fromEntries(Object.entries(error).filter(([key]) => !ERROR_PROPERTIES.has(key)));
    return { status, error: { code: error.name, message: error.message, members: plain(members) } };
  }
}

for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  if (!line.trim()) continue;
  const { operation, input } = JSON.parse(line);
  process.stdout.write(`${JSON.stringify(await call(operation, input ?? {}))}\n`);
}
