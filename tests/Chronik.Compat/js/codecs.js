'use strict'
// Compression codecs kafkajs lacks, registered in its CompressionCodecs table:
// snappy from kafkajs-snappy (raw snappy out; reads raw and xerial-framed), lz4 as a small adapter
// over lz4js (LZ4 frame format, as Kafka's batches use since KIP-57), zstd over @bokuweb/zstd-wasm.

const lz4 = require('lz4js')
const zstd = require('@bokuweb/zstd-wasm')
const SnappyCodec = require('kafkajs-snappy')

const ZSTD_LEVEL = 3

const Lz4Codec = () => ({
  async compress(encoder) {
    return Buffer.from(lz4.compress(encoder.buffer))
  },
  async decompress(buffer) {
    return Buffer.from(lz4.decompress(buffer))
  },
})

const ZstdCodec = () => ({
  async compress(encoder) {
    return Buffer.from(zstd.compress(encoder.buffer, ZSTD_LEVEL))
  },
  async decompress(buffer) {
    return Buffer.from(zstd.decompress(buffer))
  },
})

let registered = false

async function register(CompressionCodecs, CompressionTypes) {
  if (registered) {
    return
  }
  await zstd.init()
  CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec
  CompressionCodecs[CompressionTypes.LZ4] = Lz4Codec
  CompressionCodecs[CompressionTypes.ZSTD] = ZstdCodec
  registered = true
}

module.exports = { register }
