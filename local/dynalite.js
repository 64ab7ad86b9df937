// Runs dynalite for `make run` (see local/dynamodb.py): listens on 127.0.0.1 on a port the system picks and
// prints it, keeps its tables under the folder given as the first argument, and stops, closing the database
// cleanly, on SIGTERM, SIGINT or when the Python process that started it goes away (its stdin then ends).
'use strict'

const dynalite = require('dynalite')

const [dataPath] = process.argv.slice(2)
if (!dataPath) {
  console.error('usage: node local/dynalite.js DATA_PATH')
  process.exit(2)
}

const server = dynalite({ path: dataPath, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`)
})

let stopping = false
function stop () {
  if (stopping) return
  stopping = true
  setTimeout(() => process.exit(0), 2000).unref()
  server.close(() => process.exit(0))
}

process.on('SIGTERM', stop)
process.on('SIGINT', stop)
process.stdin.on('end', stop)
process.stdin.on('error', stop)
process.stdin.resume()
