-- Every text that arrives queues its price check (store::costs::enqueue_soon), and with this
-- index that was two B-tree inserts, and later two deletes, on the webhook's write. The queue
-- only holds messages whose price is still to come, so it stays small: the price worker
-- (every 3 s) and `next_due` read all of it faster than an arriving text wrote the index
-- (20,000 queued, as after an outage on a busy day: about 3 ms a round).
DROP INDEX price_checks_due;
