'use strict'
/* eslint-disable @typescript-eslint/no-require-imports -- preloaded with --require, before any ES module loader */
/**
 * Loaded with NODE_OPTIONS=--require into the app's Node processes (main and every engine, which
 * inherit the environment) to watch the socket level: every outgoing TCP/UDP connection and every
 * DNS lookup is written to NETWORK_GUARD_LOG, and anything not on the loopback interface is refused.
 * Plain CommonJS so it loads before any loader or bundle.
 */
const fs = require('node:fs')
const net = require('node:net')
const dgram = require('node:dgram')
const dns = require('node:dns')

const logFile = process.env.NETWORK_GUARD_LOG
const record = (event) => {
  if (logFile) fs.appendFileSync(logFile, JSON.stringify({ pid: process.pid, argv: process.argv.slice(1, 3), ...event }) + '\n')
}
const isLoopback = (host) => host === undefined || host === 'localhost' || host === '::1' || /^127\./.test(String(host))
const refuse = (what, host, port) => {
  record({ event: 'refused', what, host: String(host), port })
  return new Error(`network guard: ${what} to ${host}:${port} refused (only loopback is allowed)`)
}

record({ event: 'loaded' })

const connect = net.Socket.prototype.connect
net.Socket.prototype.connect = function guardedConnect(...args) {
  const options =
    typeof args[0] === 'object' && args[0] !== null ? (Array.isArray(args[0]) ? args[0][0] : args[0]) : { port: args[0], host: args[1] }
  // A path is a Unix socket or a named pipe: local by definition.
  if (options.path === undefined) {
    record({ event: 'connect', host: String(options.host ?? 'localhost'), port: options.port })
    if (!isLoopback(options.host)) throw refuse('tcp connect', options.host, options.port)
  }
  return connect.apply(this, args)
}

for (const method of ['send', 'connect']) {
  const original = dgram.Socket.prototype[method]
  dgram.Socket.prototype[method] = function guardedDgram(...args) {
    const host = method === 'connect' ? args[1] : args.find((a, i) => i > 0 && typeof a === 'string')
    const port = args.find((a, i) => i > 0 && typeof a === 'number')
    record({ event: `udp ${method}`, host: String(host), port })
    if (!isLoopback(host)) throw refuse(`udp ${method}`, host, port)
    return original.apply(this, args)
  }
}

for (const target of [dns, dns.promises]) {
  for (const name of ['lookup', 'resolve', 'resolve4', 'resolve6', 'resolveAny']) {
    const original = target[name]
    if (typeof original !== 'function') continue
    target[name] = function guardedLookup(host, ...rest) {
      record({ event: `dns ${name}`, host: String(host) })
      if (!isLoopback(host)) throw refuse(`dns ${name}`, host, 53)
      return original.call(this, host, ...rest)
    }
  }
}
