# configfs-tsm without FUSE: the attribute-write table, kstrtouint, the generation wrap rule (EBUSY), the entry
# store against a provider whose blobs name their generation (concurrent readers and a writer: TSan), the tsmd
# guest as provider.
TESTS += tsm/test_tsm
TSAN_TESTS += tsm/test_tsm
