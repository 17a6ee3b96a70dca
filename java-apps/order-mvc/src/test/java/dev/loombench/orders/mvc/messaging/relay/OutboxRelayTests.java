package dev.loombench.orders.mvc.messaging.relay;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

import dev.loombench.orders.domain.event.EventMeters;
import dev.loombench.orders.mvc.testsupport.EventTables;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The relay's transaction against the real outbox, with a publisher that fails while told to, the way an
 * unreachable broker makes the real ones fail. The relay sees every unpublished row of the shared database; the
 * assertions look at this test's rows only.
 */
@SpringBootTest(webEnvironment = WebEnvironment.NONE)
@ExtendWith(OutputCaptureExtension.class)
class OutboxRelayTests {

    @Autowired
    private JdbcClient jdbc;

    @Autowired
    private TransactionTemplate transaction;

    @Test
    void failedPublishRollsBackAndALaterPollPublishesWithOneWarningPerOutage(CapturedOutput output) {
        List<UUID> mine = insertRows(2);
        SwitchablePublisher broker = new SwitchablePublisher();
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        OutboxRelay relay = new OutboxRelay(this.jdbc, this.transaction, broker, 10_000, 50, meters);

        broker.down = true;
        relay.poll();
        relay.poll();
        relay.poll();
        assertThat(mine).allSatisfy((id) -> assertThat(tables().published(id)).isFalse());
        assertThat(broker.attempted(mine)).isEqualTo(3);
        assertThat(output.getAll().split("Outbox relay could not publish to test-broker", -1)).hasSize(2);
        assertThat(meters.get(EventMeters.RELAY_FAILURES).counter().count()).isEqualTo(3);
        assertThat(meters.get(EventMeters.RELAY_PUBLISHED).counter().count()).isZero();

        broker.down = false;
        relay.poll();
        assertThat(mine).allSatisfy((id) -> assertThat(tables().published(id)).isTrue());
        assertThat(output.getAll()).contains("Outbox relay publishes to test-broker again after 3 failed polls");
        // The shared outbox may hold other classes' rows too: at least this test's were counted.
        assertThat(meters.get(EventMeters.RELAY_PUBLISHED).counter().count()).isGreaterThanOrEqualTo(mine.size());
        assertThat(meters.get(EventMeters.RELAY_FAILURES).counter().count()).isEqualTo(3);

        // Published rows are never claimed again.
        int attempts = broker.attempted(mine);
        relay.poll();
        assertThat(broker.attempted(mine)).isEqualTo(attempts);
    }

    @Test
    void fullBatchPollsAgainAtOnce() {
        List<UUID> mine = insertRows(5);
        SwitchablePublisher broker = new SwitchablePublisher();
        new OutboxRelay(this.jdbc, this.transaction, broker, 2, 60_000, new SimpleMeterRegistry()).poll();
        assertThat(mine).allSatisfy((id) -> assertThat(tables().published(id)).isTrue());
        assertThat(broker.batchSizes).allSatisfy((size) -> assertThat(size).isLessThanOrEqualTo(2));
        assertThat(broker.batchSizes.size()).isGreaterThanOrEqualTo(3);
    }

    @Test
    void eachRowIsOfferedWithItsStoredEventTypeForTheWireLabel() {
        // A lifecycle stores OrderPaid and OrderShipped rows; the publishers label the message with the row's type
        // (Kafka header eventType, AMQP type), so a row must arrive carrying what the outbox holds, not a constant.
        UUID paid = UUID.randomUUID();
        this.jdbc.sql("INSERT INTO outbox (event_id, event_type, aggregate_id, payload) "
                + "VALUES (:eventId, 'OrderPaid', 0, :payload)")
            .param("eventId", paid)
            .param("payload", "relay test " + paid)
            .update();
        UUID created = insertRows(1).get(0);
        SwitchablePublisher broker = new SwitchablePublisher();
        new OutboxRelay(this.jdbc, this.transaction, broker, 10_000, 60_000, new SimpleMeterRegistry()).poll();
        assertThat(broker.types.get(paid)).isEqualTo("OrderPaid");
        assertThat(broker.types.get(created)).isEqualTo("OrderCreated");
    }

    private List<UUID> insertRows(int count) {
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            UUID id = UUID.randomUUID();
            tables().insertOutbox(id, 0, "relay test " + id);
            ids.add(id);
        }
        return ids;
    }

    private EventTables tables() {
        return new EventTables(this.jdbc);
    }

    /** Records what it was asked to publish; throws while {@code down}, as a publisher does without its broker. */
    private static final class SwitchablePublisher implements OutboxPublisher {

        volatile boolean down;

        final List<UUID> offered = new CopyOnWriteArrayList<>();

        final List<Integer> batchSizes = new CopyOnWriteArrayList<>();

        final Map<UUID, String> types = new ConcurrentHashMap<>();

        @Override
        public Duration ackTimeout() {
            return Duration.ofSeconds(1);
        }

        @Override
        public void publish(List<OutboxRow> rows) {
            rows.forEach((row) -> this.offered.add(row.eventId()));
            rows.forEach((row) -> this.types.put(row.eventId(), row.eventType()));
            this.batchSizes.add(rows.size());
            if (this.down) {
                throw new IllegalStateException("broker unreachable");
            }
        }

        @Override
        public String broker() {
            return "test-broker";
        }

        /** How often the first of {@code ids} was offered (all of them are offered together). */
        int attempted(List<UUID> ids) {
            return (int) this.offered.stream().filter(ids.get(0)::equals).count();
        }
    }
}
