package io.tollgate.streams.rocksdb;

import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.WriteBufferManager;

import java.util.Map;

/**
 * Bounds the off-heap memory of every RocksDB store in the process: one LRU block cache shared by all stores,
 * with memtables charged to it through one write-buffer manager, and index/filter blocks cached (high
 * priority) instead of held per table. Total RocksDB memory stays near {@code tollgate.rocksdb.block.cache.bytes}
 * however many stores and partitions an instance holds.
 */
public final class BoundedMemoryRocksDBConfig implements RocksDBConfigSetter {
    public static final String BLOCK_CACHE_BYTES = "tollgate.rocksdb.block.cache.bytes";
    public static final String WRITE_BUFFER_BYTES = "tollgate.rocksdb.write.buffer.bytes";
    private static final long DEFAULT_CACHE = 256L * 1024 * 1024;
    private static final long DEFAULT_WRITE_BUFFERS = 128L * 1024 * 1024;
    private static final double INDEX_FILTER_SHARE = 0.1;

    private static Cache cache;
    private static WriteBufferManager writeBufferManager;

    private static synchronized void initShared(Map<String, Object> configs) {
        if (cache == null) {
            long cacheBytes = longSetting(configs, BLOCK_CACHE_BYTES, DEFAULT_CACHE);
            long writeBufferBytes = Math.min(longSetting(configs, WRITE_BUFFER_BYTES, DEFAULT_WRITE_BUFFERS), cacheBytes);
            cache = new LRUCache(cacheBytes, -1, false, INDEX_FILTER_SHARE);
            writeBufferManager = new WriteBufferManager(writeBufferBytes, cache);
        }
    }

    private static long longSetting(Map<String, Object> configs, String name, long fallback) {
        Object value = configs.get(name);
        return value == null ? fallback : Long.parseLong(value.toString());
    }

    @Override
    public void setConfig(String storeName, Options options, Map<String, Object> configs) {
        initShared(configs);
        BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
        table.setBlockCache(cache);
        table.setCacheIndexAndFilterBlocks(true);
        table.setCacheIndexAndFilterBlocksWithHighPriority(true);
        table.setPinTopLevelIndexAndFilter(true);
        options.setWriteBufferManager(writeBufferManager);
        options.setTableFormatConfig(table);
    }

    @Override
    public void close(String storeName, Options options) {
        // The cache and the write-buffer manager are shared by every store of the process: never closed per store.
    }
}
