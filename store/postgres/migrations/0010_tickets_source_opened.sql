-- The spike watch asks when a source's first ticket was opened
-- (FirstOpened: min(opened_at) of the source's tickets), to know how much
-- of its history there is to compare with. No index served: tickets_opened
-- (opened_at, id) would be walked from the desk's first ticket until one of
-- the source turned up, and tickets_customer (source, conversation,
-- customer_id, id) and tickets_customer_any (source, customer_id, id) hold
-- every ticket of the source, unordered by time. With the source's tickets
-- in order of opening, the answer is the first entry of its range, however
-- large the table (an index-only scan once the table is vacuumed).
CREATE INDEX tickets_source_opened ON tickets (source, opened_at);
