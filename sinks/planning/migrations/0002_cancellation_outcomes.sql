-- A cancellation is a request: what of a line had already shipped when it was cancelled cannot be
-- released. Per cancelled line, computed when read (whatever order the sink saw the events in):
-- what was asked, what had shipped by then, what the cancellation released, and its outcome.
CREATE VIEW cancellation_outcomes AS
SELECT
    c.order_id,
    c.line_id,
    c.sku,
    c.quantity AS requested,
    COALESCE(s.shipped, 0) AS shipped_before,
    LEAST(c.quantity, GREATEST(COALESCE(d.quantity, c.quantity) - COALESCE(s.shipped, 0), 0)) AS released,
    CASE
        WHEN COALESCE(s.shipped, 0) = 0 THEN 'cancelled'
        WHEN COALESCE(d.quantity, c.quantity) - COALESCE(s.shipped, 0) <= 0 THEN 'refused: shipped'
        ELSE 'partly refused: shipped'
    END AS outcome,
    c.reason,
    c.cancelled_at
FROM cancellations c
LEFT JOIN demand_lines d ON d.order_id = c.order_id AND d.line_id = c.line_id
LEFT JOIN LATERAL (
    SELECT sum(sh.quantity) AS shipped
    FROM shipments sh
    WHERE sh.order_id = c.order_id
      AND sh.sku = c.sku
      AND (sh.line_id = c.line_id OR sh.line_id IS NULL)
      AND sh.shipped_at <= c.cancelled_at
) s ON true;
