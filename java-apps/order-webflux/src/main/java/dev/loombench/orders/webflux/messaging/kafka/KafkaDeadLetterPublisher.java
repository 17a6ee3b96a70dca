package dev.loombench.orders.webflux.messaging.kafka;

import java.time.Duration;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;

import org.springframework.kafka.listener.DeadLetterPublishingRecoverer;

/**
 * Sends a failed record to {@code <topic>.DLT} (same partition, original key, value and headers plus spring-kafka's
 * exception headers) with a {@link DeadLetterPublishingRecoverer}, from inside the listener's Mono, so the record is
 * acknowledged only once the dead-letter topic has it.
 * <p>
 * Why not the usual container error handler: in spring-kafka 4.0 a listener returning a Mono that fails reaches the
 * container's CommonErrorHandler only under {@code @RetryableTopic} (the container registers its async-failure
 * callback for that adapter alone); otherwise the record is logged, acknowledged and gone. The recoverer waits for the
 * send result, so it runs on {@code boundedElastic}, never on the event loop that completed the failing Mono; while
 * the broker refuses the send it is retried, and the record stays unacknowledged.
 */
public class KafkaDeadLetterPublisher {

    static final Duration RETRY_INTERVAL = Duration.ofSeconds(1);

    private static final Log logger = LogFactory.getLog(KafkaDeadLetterPublisher.class);

    private final DeadLetterPublishingRecoverer recoverer;

    public KafkaDeadLetterPublisher(DeadLetterPublishingRecoverer recoverer) {
        this.recoverer = recoverer;
    }

    public Mono<Void> publish(ConsumerRecord<String, String> record, Throwable failure) {
        Exception exception = (failure instanceof Exception ex) ? ex : new IllegalStateException(failure);
        return Mono.<Void>fromRunnable(() -> this.recoverer.accept(record, exception))
            .subscribeOn(Schedulers.boundedElastic())
            .doOnSuccess((done) -> logger.info("Dead-lettered " + record.topic() + "-" + record.partition() + "@"
                    + record.offset() + ": " + exception.getMessage()))
            .retryWhen(Retry.fixedDelay(Long.MAX_VALUE, RETRY_INTERVAL)
                .doBeforeRetry((signal) -> logger.warn("Could not dead-letter " + record.topic() + "-"
                        + record.partition() + "@" + record.offset() + " yet, retrying: " + signal.failure())));
    }
}
