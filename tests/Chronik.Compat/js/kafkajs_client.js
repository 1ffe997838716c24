#!/usr/bin/env node
// kafkajs 2.2.4 (pure JS, from npm: package.json beside this file) driven by the Chronik.Compat tests.
//
//   node kafkajs_client.js COMMAND BOOTSTRAP ARGS...
//
// Commands (the C# harness checked BOOTSTRAP is a loopback address):
//   version
//   create-topic     BOOTSTRAP TOPIC PARTITIONS
//   produce          BOOTSTRAP TOPIC CODEC RECORDS_FILE     (acks=all; records as JSON lines)
//   consume          BOOTSTRAP TOPIC EXPECTED OUT_FILE      (a fresh consumer group from the beginning:
//                                                           kafkajs has no group-less consumer)
//   list-offsets     BOOTSTRAP TOPIC TIMESTAMP[,TIMESTAMP...]
//   describe-configs BOOTSTRAP TOPIC
//   alter-config     BOOTSTRAP TOPIC NAME VALUE
//   delete-topic     BOOTSTRAP TOPIC
//
// The result is one JSON object on the last line of stdout; kafkajs's own log goes to stderr;
// failures exit non-zero with the error on stderr. File formats: ../Harness/RecordFiles.cs.
'use strict'

const fs = require('fs')
const readline = require('readline')
const { Kafka, CompressionTypes, CompressionCodecs, ConfigResourceTypes, Partitioners, logLevel } = require('kafkajs')
const codecs = require('./codecs')

const CLIENT_ID = 'chronik-compat-kafkajs'
const TIMEOUT_MS = 60000
const SEND_CHUNK = 5000

const COMPRESSION = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
}

function emit(result) {
  process.stdout.write(JSON.stringify(result) + '\n')
}

const b64 = data => (data === null || data === undefined ? null : Buffer.from(data).toString('base64'))
const unb64 = text => (text === null ? null : Buffer.from(text, 'base64'))

function client(bootstrap) {
  return new Kafka({
    clientId: CLIENT_ID,
    brokers: [bootstrap],
    connectionTimeout: 10000,
    requestTimeout: TIMEOUT_MS,
    retry: { retries: 5 },
    logLevel: logLevel.WARN,
    logCreator: () => ({ namespace, level, log }) => {
      process.stderr.write(`[kafkajs ${namespace} ${level}] ${JSON.stringify(log)}\n`)
    },
  })
}

async function withAdmin(bootstrap, action) {
  const admin = client(bootstrap).admin()
  await admin.connect()
  try {
    return await action(admin)
  } finally {
    await admin.disconnect()
  }
}

async function* readRecords(file) {
  const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity })
  for await (const line of lines) {
    if (line.length > 0) {
      yield JSON.parse(line)
    }
  }
}

const commands = {
  async version() {
    emit({ client: 'kafkajs', version: require('kafkajs/package.json').version })
  },

  async 'create-topic'(bootstrap, topic, partitions) {
    const created = await withAdmin(bootstrap, admin =>
      admin.createTopics({
        topics: [{ topic, numPartitions: Number(partitions), replicationFactor: 1 }],
        waitForLeaders: true,
        timeout: TIMEOUT_MS,
      }))
    if (!created) {
      throw new Error(`createTopics answered false: ${topic} already exists`)
    }
    emit({ created: topic })
  },

  async produce(bootstrap, topic, codec, recordsFile) {
    if (!(codec in COMPRESSION)) {
      throw new Error(`unknown codec ${codec}`)
    }
    await codecs.register(CompressionCodecs, CompressionTypes)
    // The Java-compatible murmur2 partitioner (kafkajs 2's default; named to silence its warning).
    const producer = client(bootstrap).producer({ createPartitioner: Partitioners.DefaultPartitioner })
    await producer.connect()
    let count = 0
    try {
      let chunk = []
      const send = async () => {
        await producer.send({ topic, acks: -1, timeout: TIMEOUT_MS, compression: COMPRESSION[codec], messages: chunk })
        count += chunk.length
        chunk = []
      }
      for await (const record of readRecords(recordsFile)) {
        const headers = {}
        for (const [name, value] of record.headers) {
          headers[name] = unb64(value)
        }
        chunk.push({
          key: unb64(record.key),
          value: unb64(record.value),
          headers,
          timestamp: record.timestamp === null ? undefined : String(record.timestamp),
        })
        if (chunk.length >= SEND_CHUNK) {
          await send()
        }
      }
      if (chunk.length > 0) {
        await send()
      }
    } finally {
      await producer.disconnect()
    }
    emit({ produced: count })
  },

  async consume(bootstrap, topic, expected, outFile) {
    await codecs.register(CompressionCodecs, CompressionTypes)
    const kafka = client(bootstrap)
    const ends = await withAdmin(bootstrap, admin => admin.fetchTopicOffsets(topic))
    const remaining = new Map(ends.map(p => [p.partition, Number(p.high)]))
    for (const [partition, high] of remaining) {
      if (high === 0) {
        remaining.delete(partition)
      }
    }
    const out = fs.createWriteStream(outFile)
    const consumer = kafka.consumer({
      groupId: `chronik-compat-${topic}-${process.pid}-${Date.now()}`,
      maxBytesPerPartition: 4 * 1024 * 1024,
      maxBytes: 16 * 1024 * 1024,
      sessionTimeout: 30000,
    })
    let count = 0
    await consumer.connect()
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true })
      await new Promise((resolve, reject) => {
        const deadline = setTimeout(
          () => reject(new Error(`consumed ${count} of ${expected} before the deadline; still waiting on ${JSON.stringify([...remaining])}`)),
          240000)
        const finish = () => {
          clearTimeout(deadline)
          resolve()
        }
        if (remaining.size === 0) {
          finish()
          return
        }
        consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch }) => {
              for (const message of batch.messages) {
                const headers = []
                for (const [name, value] of Object.entries(message.headers || {})) {
                  // A name repeated within one record arrives as an array.
                  for (const one of Array.isArray(value) ? value : [value]) {
                    headers.push([name, b64(one)])
                  }
                }
                out.write(JSON.stringify({
                  partition: batch.partition,
                  offset: Number(message.offset),
                  timestamp: Number(message.timestamp),
                  timestampType: message.batchContext && message.batchContext.timestampType === 1 ? 'append' : 'create',
                  key: b64(message.key),
                  value: b64(message.value),
                  headers,
                }) + '\n')
                count++
                const high = remaining.get(batch.partition)
                if (high !== undefined && Number(message.offset) + 1 >= high) {
                  remaining.delete(batch.partition)
                }
              }
              if (remaining.size === 0) {
                finish()
              }
            },
          })
          .catch(reject)
      })
    } finally {
      await consumer.disconnect()
      await new Promise(resolve => out.end(resolve))
    }
    emit({ consumed: count, expected: Number(expected) })
  },

  async 'list-offsets'(bootstrap, topic, timestamps) {
    const targets = timestamps.split(',').filter(t => t.length > 0).map(Number)
    const partitions = await withAdmin(bootstrap, async admin => {
      const offsets = await admin.fetchTopicOffsets(topic)
      const result = offsets
        .map(p => ({ partition: p.partition, earliest: Number(p.low), latest: Number(p.high), byTimestamp: [] }))
        .sort((a, b) => a.partition - b.partition)
      for (const timestamp of targets) {
        // kafkajs replaces Kafka's -1 (no record at or after the timestamp) with the high watermark.
        for (const { partition, offset } of await admin.fetchTopicOffsetsByTimestamp(topic, timestamp)) {
          result.find(p => p.partition === partition).byTimestamp.push({ timestamp, offset: Number(offset) })
        }
      }
      return result
    })
    emit({ partitions })
  },

  async 'describe-configs'(bootstrap, topic) {
    const configs = await withAdmin(bootstrap, async admin => {
      const described = await admin.describeConfigs({
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
        includeSynonyms: false,
      })
      const entries = {}
      for (const resource of described.resources) {
        if (resource.errorCode !== 0) {
          throw new Error(`DescribeConfigs ${resource.resourceName}: error ${resource.errorCode} ${resource.errorMessage}`)
        }
        for (const entry of resource.configEntries) {
          entries[entry.configName] = entry.configValue
        }
      }
      return entries
    })
    emit({ configs })
  },

  async 'alter-config'(bootstrap, topic, name, value) {
    await withAdmin(bootstrap, async admin => {
      const altered = await admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name, value }] }],
      })
      for (const resource of altered.resources) {
        if (resource.errorCode !== 0) {
          throw new Error(`AlterConfigs ${resource.resourceName}: error ${resource.errorCode} ${resource.errorMessage}`)
        }
      }
    })
    emit({ altered: topic, name, value })
  },

  async 'delete-topic'(bootstrap, topic) {
    await withAdmin(bootstrap, admin => admin.deleteTopics({ topics: [topic], timeout: TIMEOUT_MS }))
    emit({ deleted: topic })
  },
}

async function main() {
  const [command, ...args] = process.argv.slice(2)
  if (!(command in commands)) {
    process.stderr.write(`usage: kafkajs_client.js (${Object.keys(commands).join('|')}) BOOTSTRAP ARGS...\n`)
    process.exit(2)
  }
  await commands[command](...args)
}

main().catch(error => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`)
  process.exit(1)
})
