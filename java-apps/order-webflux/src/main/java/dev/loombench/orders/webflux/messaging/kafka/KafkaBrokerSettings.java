package dev.loombench.orders.webflux.messaging.kafka;

import org.apache.kafka.clients.admin.NewTopic;

import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.listener.ConcurrentMessageListenerContainer;
import org.springframework.kafka.listener.MessageListenerContainer;

import dev.loombench.orders.webflux.messaging.BrokerSettings;

/** Partitions from the topic the app declares; concurrency from the running listener container. */
class KafkaBrokerSettings implements BrokerSettings {

    private final NewTopic topic;

    private final KafkaListenerEndpointRegistry registry;

    KafkaBrokerSettings(NewTopic topic, KafkaListenerEndpointRegistry registry) {
        this.topic = topic;
        this.registry = registry;
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
}
