-- A value no source served can be carried forward (IORB while the target range stands): its
-- source is 'carried', and a source's later answer replaces it as a new version.
COMMENT ON COLUMN raw.observation_versions.source IS 'nyfed, ddp, fred or snapshot: who served this version; carried: no source answered and the last value was carried forward (IORB while the target range stood), replaced by the next version a source serves.';
COMMENT ON COLUMN raw.observations.source IS 'nyfed, ddp, fred or snapshot: who served the current version; carried: the last value carried forward because no source answered (IORB while the target range stood).';
COMMENT ON COLUMN raw.payloads.source IS 'nyfed, ddp, fred or snapshot; carried: a payload made by the run itself, the last IORB carried forward (its url says from when and to when).';
