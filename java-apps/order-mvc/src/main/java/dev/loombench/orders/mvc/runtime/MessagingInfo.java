package dev.loombench.orders.mvc.runtime;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

import org.apache.kafka.clients.admin.TopicDescription;

import org.springframework.amqp.rabbit.listener.RabbitListenerEndpointRegistry;
import org.springframework.beans.DirectFieldAccessor;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.kafka.listener.ConcurrentMessageListenerContainer;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.MessageListenerContainer;
import org.springframework.stereotype.Component;

import dev.loombench.orders.domain.event.KafkaConsumerSettings;
import dev.loombench.orders.domain.event.KafkaProducerSettings;
import dev.loombench.orders.domain.event.RelaySettings;
import dev.loombench.orders.domain.runtime.LiveThreads;
import dev.loombench.orders.domain.runtime.RuntimeSettings.MessagingSettings;
import dev.loombench.orders.mvc.messaging.Broker;
import dev.loombench.orders.mvc.messaging.MessagingProperties;
import dev.loombench.orders.mvc.messaging.consumer.OrderEventProcessor;
import dev.loombench.orders.mvc.messaging.kafka.KafkaOrderEventListener;
import dev.loombench.orders.mvc.messaging.kafka.KafkaTopics;
import dev.loombench.orders.mvc.messaging.rabbit.RabbitOrderEventListener;
import dev.loombench.orders.mvc.messaging.relay.OutboxRelay;
import dev.loombench.orders.mvc.messaging.relay.RelayDatabase;

/**
 * {@code runtime.messaging}: read from the running listener containers, the broker's topic metadata, the relay
 * and consumer beans and the Kafka producer and consumer factories. Attempts and backoff live inside the error
 * handler / retry interceptor, which expose neither: they are the values those were built from. With
 * {@code ORDERS_BROKER=none} no relay or consumer exists, and their settings are the configured ones.
 */
@Component
class MessagingInfo {

    private final MessagingProperties messaging;

    private final KafkaTopics topics;

    private final ObjectProvider<OrderEventProcessor> processor;

    private final ObjectProvider<OutboxRelay> relay;

    private final ObjectProvider<RelayDatabase> relayDatabase;

    private final ObjectProvider<KafkaListenerEndpointRegistry> kafkaListeners;

    private final ObjectProvider<KafkaAdmin> kafkaAdmin;

    private final ObjectProvider<RabbitListenerEndpointRegistry> rabbitListeners;

    private final ObjectProvider<ProducerFactory<?, ?>> kafkaProducers;

    private final ObjectProvider<ConsumerFactory<?, ?>> kafkaConsumers;

    MessagingInfo(MessagingProperties messaging, KafkaTopics topics, ObjectProvider<OrderEventProcessor> processor,
            ObjectProvider<OutboxRelay> relay, ObjectProvider<RelayDatabase> relayDatabase,
            ObjectProvider<KafkaListenerEndpointRegistry> kafkaListeners,
            ObjectProvider<KafkaAdmin> kafkaAdmin, ObjectProvider<RabbitListenerEndpointRegistry> rabbitListeners,
            ObjectProvider<ProducerFactory<?, ?>> kafkaProducers, ObjectProvider<ConsumerFactory<?, ?>> kafkaConsumers) {
        this.messaging = messaging;
        this.topics = topics;
        this.processor = processor;
        this.relay = relay;
        this.relayDatabase = relayDatabase;
        this.kafkaListeners = kafkaListeners;
        this.kafkaAdmin = kafkaAdmin;
        this.rabbitListeners = rabbitListeners;
        this.kafkaProducers = kafkaProducers;
        this.kafkaConsumers = kafkaConsumers;
    }

    MessagingSettings read() {
        Broker broker = this.messaging.broker();
        Integer partitions = (broker == Broker.KAFKA) ? kafkaPartitions() : null;
        Integer concurrency = switch (broker) {
            case KAFKA -> kafkaConcurrency();
            case RABBITMQ -> rabbitField("concurrentConsumers");
            case NONE -> null;
        };
        Integer prefetch = (broker == Broker.RABBITMQ) ? rabbitField("prefetchCount") : null;
        OutboxRelay liveRelay = this.relay.getIfAvailable();
        int batchSize = (liveRelay != null) ? liveRelay.batchSize() : this.messaging.relayBatchSize();
        long pollIntervalMs = (liveRelay != null) ? liveRelay.pollIntervalMs() : this.messaging.relayPollIntervalMs();
        long ackTimeoutMs = ((liveRelay != null) ? liveRelay.ackTimeout() : RelaySettings.ACK_TIMEOUT).toMillis();
        RelayDatabase liveRelayDatabase = this.relayDatabase.getIfAvailable();
        int relayDbPool = (liveRelayDatabase != null) ? liveRelayDatabase.poolSize() : this.messaging.relayDbPool();
        OrderEventProcessor liveProcessor = this.processor.getIfAvailable();
        long delayMs = (liveProcessor != null) ? liveProcessor.delayMs() : this.messaging.consumerDelayMs();
        return new MessagingSettings(broker.wireName(), partitions, concurrency, prefetch, null, batchSize,
                pollIntervalMs, ackTimeoutMs, relayDbPool, delayMs, this.messaging.maxAttempts(), this.messaging.backoffMs(),
                this.messaging.consumerOrdering().wireName(), kafkaProducer(),
                kafkaConsumer());
    }

    /**
     * The broker's platform threads by pool, for {@code runtime.liveThreads} (none without a broker). Listener
     * container threads are named after the listener ids; on virtual threads they are not listed, hence 0.
     */
    Map<String, Predicate<Thread>> liveThreadPools() {
        Map<String, Predicate<Thread>> pools = new LinkedHashMap<>();
        switch (this.messaging.broker()) {
            case KAFKA -> {
                pools.put("kafka-listener", LiveThreads.namedStartingWith(KafkaOrderEventListener.CONSUMER_ID + "-")
                    .or(LiveThreads.namedStartingWith(KafkaOrderEventListener.DEAD_LETTER_CONSUMER_ID + "-")));
                // Heartbeat, producer network and admin threads are all named "kafka-...".
                pools.put("kafka-client", LiveThreads.namedStartingWith("kafka-")
                    .or(LiveThreads.namedStartingWith("micrometer-kafka-metrics")));
            }
            case RABBITMQ -> {
                pools.put("rabbit-listener", LiveThreads.namedStartingWith(RabbitOrderEventListener.CONSUMER_ID + "-")
                    .or(LiveThreads.namedStartingWith(RabbitOrderEventListener.DEAD_LETTER_CONSUMER_ID + "-")));
                pools.put("amqp-connection", LiveThreads.namedStartingWith("AMQP Connection"));
            }
            case NONE -> {
                return pools;
            }
        }
        // Boot's scheduler, which exists only for the relay (platform threads only without virtual threads).
        pools.put("relay-scheduler", LiveThreads.namedStartingWith("scheduling-"));
        return pools;
    }

    /** The live producer factory's values of the shared producer settings (Kafka only). */
    private Map<String, Object> kafkaProducer() {
        ProducerFactory<?, ?> producers = (this.messaging.broker() == Broker.KAFKA)
                ? this.kafkaProducers.getIfAvailable() : null;
        return (producers != null) ? KafkaProducerSettings.effective(producers.getConfigurationProperties()) : null;
    }

    /** The order listener's commit and poll settings from its live container and the consumer factory (Kafka only). */
    private Map<String, Object> kafkaConsumer() {
        KafkaListenerEndpointRegistry registry = (this.messaging.broker() == Broker.KAFKA)
                ? this.kafkaListeners.getIfAvailable() : null;
        MessageListenerContainer container = (registry != null)
                ? registry.getListenerContainer(KafkaOrderEventListener.CONSUMER_ID) : null;
        ConsumerFactory<?, ?> consumers = this.kafkaConsumers.getIfAvailable();
        if (container == null || consumers == null) {
            return null;
        }
        ContainerProperties properties = container.getContainerProperties();
        return KafkaConsumerSettings.of(container.getGroupId(), consumers.getConfigurationProperties(),
                String.valueOf(properties.getAckMode()), properties.isAsyncAcks(),
                properties.getPollTimeout());
    }

    /** What the broker reports for the topic; -1 when it cannot be asked (down). */
    private Integer kafkaPartitions() {
        KafkaAdmin admin = this.kafkaAdmin.getIfAvailable();
        if (admin == null) {
            return null;
        }
        try {
            Map<String, TopicDescription> topics = admin.describeTopics(this.topics.topic());
            return topics.get(this.topics.topic()).partitions().size();
        }
        catch (RuntimeException unreachable) {
            return -1;
        }
    }

    private Integer kafkaConcurrency() {
        KafkaListenerEndpointRegistry registry = this.kafkaListeners.getIfAvailable();
        MessageListenerContainer container = (registry != null)
                ? registry.getListenerContainer(KafkaOrderEventListener.CONSUMER_ID) : null;
        return (container instanceof ConcurrentMessageListenerContainer<?, ?> concurrent) ? concurrent.getConcurrency()
                : null;
    }

    /** SimpleMessageListenerContainer has no getters for these: read its fields. */
    private Integer rabbitField(String field) {
        RabbitListenerEndpointRegistry registry = this.rabbitListeners.getIfAvailable();
        Object container = (registry != null)
                ? registry.getListenerContainer(RabbitOrderEventListener.CONSUMER_ID) : null;
        return (container != null) ? (Integer) new DirectFieldAccessor(container).getPropertyValue(field) : null;
    }
}
