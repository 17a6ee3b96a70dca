package dev.loombench.orders.webflux.messaging.kafka;

import java.util.Map;

import org.apache.kafka.clients.admin.NewTopic;

import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.kafka.listener.ConcurrentMessageListenerContainer;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.MessageListenerContainer;

import dev.loombench.orders.domain.event.KafkaConsumerSettings;
import dev.loombench.orders.domain.event.KafkaProducerSettings;
import dev.loombench.orders.webflux.messaging.BrokerSettings;

/**
 * Partitions from the topic the app declares; concurrency from the running listener container; the producer
 * settings from the producer factory the relay's template sends through; the listener's commit and poll settings
 * from its container and the consumer factory.
 */
class KafkaBrokerSettings implements BrokerSettings {

    private final NewTopic topic;

    private final KafkaListenerEndpointRegistry registry;

    private final ProducerFactory<?, ?> producers;

    private final ConsumerFactory<?, ?> consumers;

    KafkaBrokerSettings(NewTopic topic, KafkaListenerEndpointRegistry registry, ProducerFactory<?, ?> producers,
            ConsumerFactory<?, ?> consumers) {
        this.topic = topic;
        this.registry = registry;
        this.producers = producers;
        this.consumers = consumers;
    }

    @Override
    public Integer partitions() {
        return this.topic.numPartitions();
    }

    @Override
    public Integer listenerConcurrency() {
        MessageListenerContainer container = this.registry.getListenerContainer(KafkaOrderEventListener.CONSUMER_ID);
        return (container instanceof ConcurrentMessageListenerContainer<?, ?> concurrent)
                ? concurrent.getConcurrency() : null;
    }

    @Override
    public Integer prefetch() {
        return null;
    }

    @Override
    public Map<String, Object> kafkaProducer() {
        return KafkaProducerSettings.effective(this.producers.getConfigurationProperties());
    }

    @Override
    public Map<String, Object> kafkaConsumer() {
        MessageListenerContainer container = this.registry.getListenerContainer(KafkaOrderEventListener.CONSUMER_ID);
        if (container == null) {
            return null;
        }
        ContainerProperties properties = container.getContainerProperties();
        return KafkaConsumerSettings.of(container.getGroupId(), this.consumers.getConfigurationProperties(),
                String.valueOf(properties.getAckMode()), properties.isAsyncAcks(),
                properties.getPollTimeout());
    }
}
