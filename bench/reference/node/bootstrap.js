// A minimal Lambda Runtime API loop for Node.js (`aws-lambda-ric` does not
// install here: version 4 needs Node >= 22 and both need cmake and autotools
// to build aws-lambda-cpp and curl from source). Usage: node bootstrap.js
// index.<handler>. Same protocol as the managed runtime: GET /next, call the
// handler, POST /response (or /error), repeat.
"use strict";

const http = require("node:http");
const path = require("node:path");

const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(":");
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const base = "/2018-06-01/runtime";

function call(method, urlPath, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, method, path: base + urlPath, agent, headers }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function main() {
  const [moduleName, handlerName] = (process.argv[2] || process.env._HANDLER).split(".");
  let handler;
  try {
    handler = require(path.resolve(__dirname, moduleName))[handlerName];
  } catch (err) {
    const body = JSON.stringify({ errorType: err.name, errorMessage: err.message });
    await call("POST", "/init/error", body, { "Lambda-Runtime-Function-Error-Type": "Runtime.InitError" });
    process.exit(1);
  }
  for (;;) {
    const next = await call("GET", "/invocation/next");
    const id = next.headers["lambda-runtime-aws-request-id"];
    try {
      const result = await handler(JSON.parse(next.body), { awsRequestId: id });
      await call("POST", `/invocation/${id}/response`, JSON.stringify(result), { "content-type": "application/json" });
    } catch (err) {
      const body = JSON.stringify({ errorType: err.name, errorMessage: err.message });
      await call("POST", `/invocation/${id}/error`, body, { "Lambda-Runtime-Function-Error-Type": "Unhandled" });
    }
  }
}

main();
