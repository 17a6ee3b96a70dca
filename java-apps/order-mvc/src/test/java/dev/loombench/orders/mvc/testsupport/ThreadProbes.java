package dev.loombench.orders.mvc.testsupport;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import org.springframework.amqp.rabbit.config.ContainerCustomizer;
import org.springframework.amqp.rabbit.listener.SimpleMessageListenerContainer;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.kafka.listener.RecordInterceptor;
import org.springframework.scheduling.annotation.Scheduled;

/**
 * Records whether the real listener containers and the relay's scheduler run their work on virtual threads: a
 * Kafka record interceptor and a RabbitMQ after-receive hook run on the thread that then calls the listener, and a
 * second {@code @Scheduled} method shares the relay's scheduler. Import it into a broker test.
 */
@TestConfiguration(proxyBeanMethods = false)
public class ThreadProbes {

    /** Per role ("kafka-listener", "rabbit-listener", "scheduler"): the thread kinds seen, true = virtual. */
    private final Map<String, Set<Boolean>> seen = new ConcurrentHashMap<>();

    public Set<Boolean> seen(String role) {
        return this.seen.getOrDefault(role, Set.of());
    }

    private void record(String role) {
        this.seen.computeIfAbsent(role, (r) -> ConcurrentHashMap.newKeySet()).add(Thread.currentThread().isVirtual());
    }

    @Bean
    RecordInterceptor<Object, Object> kafkaListenerThreadProbe() {
        return new RecordInterceptor<>() {
            @Override
            public ConsumerRecord<Object, Object> intercept(ConsumerRecord<Object, Object> record,
                    Consumer<Object, Object> consumer) {
                record("kafka-listener");
                return record;
            }
        };
    }

    @Bean
    ContainerCustomizer<SimpleMessageListenerContainer> rabbitListenerThreadProbe() {
        return (container) -> container.addAfterReceivePostProcessors((message) -> {
            record("rabbit-listener");
            return message;
        });
    }

    @Scheduled(fixedDelay = 50)
    void schedulerThreadProbe() {
        record("scheduler");
    }

}
