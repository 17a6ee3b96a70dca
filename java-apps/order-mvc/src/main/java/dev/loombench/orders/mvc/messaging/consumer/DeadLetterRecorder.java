package dev.loombench.orders.mvc.messaging.consumer;

import org.springframework.jdbc.core.simple.JdbcClient;

import dev.loombench.orders.domain.event.EventSql;
import dev.loombench.orders.domain.event.OrderEventCodec;

/** One {@code dead_letters} row per message that reached the dead-letter topic or queue. */
public class DeadLetterRecorder {

    private final JdbcClient jdbc;

    public DeadLetterRecorder(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** {@code payload} may be anything, even null (a Kafka tombstone); the event id is kept when readable. */
    public void record(String broker, String payload, String reason) {
        this.jdbc.sql(EventSql.INSERT_DEAD_LETTER)
            .param("broker", broker)
            .param("eventId", OrderEventCodec.eventIdOrNull(payload))
            .param("reason", (reason != null && !reason.isBlank()) ? reason : "unknown")
            .param("payload", (payload != null) ? payload : "")
            .update();
    }

    /** The first cause that is not a framework wrapper, as {@code SimpleName: message}. */
    public static String reason(Throwable failure, Class<?>... wrappers) {
        Throwable cause = failure;
        while (cause.getCause() != null && isAny(cause, wrappers)) {
            cause = cause.getCause();
        }
        return cause.getClass().getSimpleName() + ": " + cause.getMessage();
    }

    private static boolean isAny(Throwable cause, Class<?>[] types) {
        for (Class<?> type : types) {
            if (type.isInstance(cause)) {
                return true;
            }
        }
        return false;
    }
}
