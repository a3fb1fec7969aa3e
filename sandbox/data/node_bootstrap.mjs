// One Lambda execution environment for a Node.js function, driven by the sandbox (sandbox/node_runtime.py).
//
// Protocol: one JSON object per line. Requests arrive on stdin; answers leave on the pipe whose descriptor is
// $SANDBOX_PROTOCOL_FD, so that the handler's own stdout/stderr stay its log. First answer: {"init": "ok"} or
// {"init": "error", "error": {...}} (the INIT phase: the handler module imported once). Then, per request
// {"id", "event", "deadlineMs", "context"}, one answer {"id", "ok": true, "result"} or
// {"id", "ok": false, "error": {errorType, errorMessage, trace}}.
// After each answer a line "\x1e<id>" on stdout and on stderr tells the sandbox the invocation's log is complete.
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import util from "node:util";
import { pathToFileURL } from "node:url";

const PROTOCOL_FD = Number(process.env.SANDBOX_PROTOCOL_FD ?? 3);
delete process.env.SANDBOX_PROTOCOL_FD; // not part of the function's environment
const END_OF_LOG = "\x1e";
const taskRoot = process.env.LAMBDA_TASK_ROOT;
const handlerSpec = process.env._HANDLER;
let currentRequestId = null;

function send(message) {
  fs.writeSync(PROTOCOL_FD, JSON.stringify(message) + "\n");
}

// As the Lambda runtime does: console lines carry the time, the request id and the level.
function patchConsole() {
  const levels = { log: "INFO", info: "INFO", warn: "WARN", error: "ERROR", debug: "DEBUG", trace: "TRACE" };
  for (const [method, level] of Object.entries(levels)) {
    const stream = level === "ERROR" || level === "WARN" ? process.stderr : process.stdout;
    console[method] = (...args) => {
      const text = util.format(...args).replaceAll("\n", "\r");
      stream.write(`${new Date().toISOString()}\t${currentRequestId ?? "undefined"}\t${level}\t${text}\n`);
    };
  }
}

function errorShape(error) {
  if (error instanceof Error || (error && typeof error === "object" && "message" in error && "name" in error)) {
    return {
      errorType: String(error.name),
      errorMessage: String(error.message),
      trace: String(error.stack ?? "").split("\n"),
    };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

// "src/app.handler" -> module src/app (.js, .mjs or .cjs), export "handler" (a dotted path for nested objects).
function splitHandler(spec) {
  const base = path.basename(spec);
  const dot = base.indexOf(".");
  if (dot < 0) {
    throw runtimeError("Runtime.MalformedHandlerName", `Bad handler ${spec}`);
  }
  return [path.join(path.dirname(spec), base.slice(0, dot)), base.slice(dot + 1)];
}

function runtimeError(name, message) {
  const error = new Error(message);
  error.name = name;
  return error;
}

async function loadHandler() {
  const [modulePath, exportPath] = splitHandler(handlerSpec);
  const file = [".js", ".mjs", ".cjs"].map((ext) => path.resolve(taskRoot, modulePath + ext)).find(fs.existsSync);
  if (!file) {
    throw runtimeError("Runtime.ImportModuleError", `Error: Cannot find module '${modulePath}'`);
  }
  let module;
  try {
    module = await import(pathToFileURL(file).href);
  } catch (error) {
    if (error instanceof SyntaxError) {
      throw runtimeError("Runtime.UserCodeSyntaxError", `${error.name}: ${error.message}`);
    }
    if (error && (error.code === "ERR_MODULE_NOT_FOUND" || error.code === "MODULE_NOT_FOUND")) {
      throw runtimeError("Runtime.ImportModuleError", `Error: ${error.message.split("\n")[0]}`);
    }
    throw error;
  }
  let handler = module;
  for (const part of exportPath.split(".")) {
    handler = handler?.[part] ?? (handler === module ? module.default?.[part] : undefined);
  }
  if (typeof handler !== "function") {
    throw runtimeError("Runtime.HandlerNotFound", `${path.basename(modulePath)}.${exportPath} is undefined or not exported`);
  }
  return handler;
}

function contextFor(request) {
  const context = {
    ...request.context,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, request.deadlineMs - Date.now()),
    done: undefined,
    succeed: undefined,
    fail: undefined,
  };
  return context;
}

// Async handlers return a promise; callback handlers (three parameters, no promise) answer through the callback.
// A handler that does neither answers null, as on Lambda (a plain function's return value is not the result).
function runHandler(handler, event, context) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (error, result) => {
      if (settled) return;
      settled = true;
      if (error !== null && error !== undefined) reject(error);
      else resolve(result);
    };
    context.done = callback;
    context.succeed = (result) => callback(null, result);
    context.fail = (error) => callback(error ?? "handled");
    let returned;
    try {
      returned = handler(event, context, callback);
    } catch (error) {
      callback(error);
      return;
    }
    if (returned && typeof returned.then === "function") {
      returned.then((result) => callback(null, result), (error) => callback(error ?? "rejected"));
    } else if (handler.length < 3) {
      setImmediate(() => callback(null, null));
    }
  });
}

function endOfLog(id) {
  process.stdout.write(`${END_OF_LOG}${id}\n`);
  process.stderr.write(`${END_OF_LOG}${id}\n`);
}

async function main() {
  patchConsole();
  let handler;
  try {
    handler = await loadHandler();
  } catch (error) {
    send({ init: "error", error: errorShape(error) });
    endOfLog("init");
    process.exitCode = 1;
    return;
  }
  send({ init: "ok" });
  endOfLog("init");
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    const request = JSON.parse(line);
    currentRequestId = request.context.awsRequestId;
    let answer;
    try {
      const result = await runHandler(handler, request.event, contextFor(request));
      answer = { id: request.id, ok: true, result: result === undefined ? null : result };
    } catch (error) {
      answer = { id: request.id, ok: false, error: errorShape(error) };
    }
    try {
      send(answer);
    } catch (error) {
      // A result that does not serialise (a cycle, a BigInt) is the handler's error, as on Lambda.
      send({ id: request.id, ok: false, error: errorShape(error) });
    }
    endOfLog(request.id);
    currentRequestId = null;
  }
}

process.on("unhandledRejection", (reason) => {
  console.error(`Unhandled Promise Rejection \t${JSON.stringify(errorShape(reason))}`);
});

await main();
