package dev.loombench.orders.domain.event;

import java.util.List;
import java.util.Map;

/**
 * The names and tags of the event-driven half's own meters, the same in every variant (design.md, "Metrics of the
 * event-driven half"), so one Prometheus query reads every variant. Both apps register exactly these.
 */
public final class EventMeters {

    /**
     * Timer: one attempt at a consumed message (parse, downstream call, inbox transaction), from its start to its
     * end, tagged {@link #BROKER} and {@link #OUTCOME}. A message retried three times times three attempts.
     */
    public static final String CONSUMER_EVENTS = "orders.consumer.events";

    /**
     * Gauge: consumed messages being worked on right now. webflux: permits of its in-flight limiter in use (a retry's
     * backoff included); mvc: listener calls in progress (its container waits out a backoff outside the call).
     */
    public static final String CONSUMER_IN_FLIGHT = "orders.consumer.in.flight";

    /** Counter: outbox rows the relay published and marked. */
    public static final String RELAY_PUBLISHED = "orders.relay.published";

    /** Counter: relay transactions rolled back (broker or database failure); their rows are retried. */
    public static final String RELAY_FAILURES = "orders.relay.failures";

    public static final String BROKER = "broker";

    public static final String OUTCOME = "outcome";

    /** The event was new and applied to the projection. */
    public static final String PROCESSED = "processed";

    /** The inbox already held the event: nothing changed but its duplicate count. */
    public static final String DUPLICATE = "duplicate";

    /** The attempt failed (poison, downstream or database): retried or dead-lettered. */
    public static final String FAILED = "failed";

    public static final List<String> OUTCOMES = List.of(PROCESSED, DUPLICATE, FAILED);

    /** Every meter name → its tag keys: the whole set a variant with a broker registers. */
    public static final Map<String, List<String>> TAG_KEYS = Map.of(CONSUMER_EVENTS, List.of(BROKER, OUTCOME),
            CONSUMER_IN_FLIGHT, List.of(), RELAY_PUBLISHED, List.of(), RELAY_FAILURES, List.of());

    private EventMeters() {
    }
}
