package dev.loombench.orders.webflux.messaging.consumer;

import java.time.Duration;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

import org.springframework.r2dbc.core.DatabaseClient;

import dev.loombench.orders.domain.event.EventSql;
import dev.loombench.orders.domain.event.OrderEventCodec;
import dev.loombench.orders.webflux.messaging.Broker;

/**
 * What the dead-letter listeners ({@code order-events.DLT}, {@code order.created.dlq}) do: one {@code dead_letters}
 * row per message, with the event id when it can be read and the raw payload unchanged. It retries until the
 * database takes the row, so the dead-letter message is acknowledged only once it is recorded.
 */
public class DeadLetterRecorder {

    /** While the database is away; dead letters are rare, so a slow steady retry costs nothing. */
    static final Duration RETRY_INTERVAL = Duration.ofSeconds(1);

    private static final Log logger = LogFactory.getLog(DeadLetterRecorder.class);

    private final DatabaseClient database;

    private final Broker broker;

    private final int maxAttempts;

    public DeadLetterRecorder(DatabaseClient database, Broker broker, int maxAttempts) {
        this.database = database;
        this.broker = broker;
        this.maxAttempts = maxAttempts;
    }

    public Mono<Void> record(String payload) {
        String raw = (payload != null) ? payload : "";
        String eventId = OrderEventCodec.eventIdOrNull(payload);
        String reason = DeadLetterReason.of(payload, this.maxAttempts);
        DatabaseClient.GenericExecuteSpec insert = this.database.sql(EventSql.INSERT_DEAD_LETTER)
            .bind("broker", this.broker.wireName())
            .bind("reason", reason)
            .bind("payload", raw);
        insert = (eventId != null) ? insert.bind("eventId", eventId) : insert.bindNull("eventId", String.class);
        return insert.then()
            .doOnSuccess((done) -> logger.info("Dead letter recorded (event " + eventId + "): " + reason))
            .retryWhen(Retry.fixedDelay(Long.MAX_VALUE, RETRY_INTERVAL)
                .doBeforeRetry((signal) -> logger.debug("Dead letter not recorded yet, retrying", signal.failure())));
    }
}
