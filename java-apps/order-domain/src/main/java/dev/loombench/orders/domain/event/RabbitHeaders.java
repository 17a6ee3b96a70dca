package dev.loombench.orders.domain.event;

/** Headers every variant's relay sets on a RabbitMQ message besides the AMQP properties (design.md). */
public final class RabbitHeaders {

    /**
     * The outbox row's aggregate id, the order id: RabbitMQ's counterpart of the Kafka record key, read by a consumer
     * that keeps one order's events in order without parsing the body first.
     */
    public static final String ORDER_ID = "orderId";

    private RabbitHeaders() {
    }
}
