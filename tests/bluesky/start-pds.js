// The AT Protocol reference server for postsched's tests: a PLC directory and a PDS in this
// one process, on loopback only, with no app view or moderation service to call out to.
// Usage: node start-pds.js PLC_PORT PDS_PORT [--rate-limits]. Prints one JSON line once both
// answer; SIGTERM or SIGINT stops them. Data goes under $TMPDIR, which the caller removes.
// --rate-limits: the PDS enforces its rate limits and sends RateLimit-* headers (dev-env
// leaves them off); createSession then allows 30 per 5 minutes per identifier.
// The packages come from the cache folder the caller names in NODE_PATH.
'use strict'
const net = require('node:net')

// dev-env's servers listen on every interface: bind them to 127.0.0.1 instead.
const listen = net.Server.prototype.listen
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number') {
    const callback = typeof args[args.length - 1] === 'function' ? args.pop() : undefined
    return listen.call(this, { port: args[0], host: '127.0.0.1' }, callback)
  }
  if (args[0] && typeof args[0] === 'object' && args[0].path === undefined) {
    args[0] = { ...args[0], host: '127.0.0.1' }
  }
  return listen.apply(this, args)
}

const { TestNetworkNoAppView } = require('@atproto/dev-env')

async function main() {
  const args = process.argv.slice(2)
  const [plcPort, pdsPort] = args.filter((arg) => !arg.startsWith('--')).map(Number)
  const rateLimitsEnabled = args.includes('--rate-limits')
  const network = await TestNetworkNoAppView.create({
    plc: { port: plcPort },
    pds: {
      port: pdsPort,
      // Unset, app.bsky.* calls answer 400 "No service configured" here instead of making a
      // DNS query for dev-env's *.invalid hosts.
      bskyAppViewUrl: undefined,
      bskyAppViewDid: undefined,
      bskyAppViewCdnUrlPattern: undefined,
      modServiceUrl: undefined,
      modServiceDid: undefined,
      rateLimitsEnabled,
    },
  })
  let stopping = false
  const stop = async () => {
    if (stopping) return
    stopping = true
    await network.close()
    process.exit(0)
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  // The test run holds our stdin: when it ends, even killed, so do we.
  process.stdin.on('end', stop)
  process.stdin.on('error', stop)
  process.stdin.resume()
  process.stdout.write(
    JSON.stringify({ plc: `http://127.0.0.1:${plcPort}`, pds: `http://127.0.0.1:${pdsPort}` }) + '\n',
  )
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
