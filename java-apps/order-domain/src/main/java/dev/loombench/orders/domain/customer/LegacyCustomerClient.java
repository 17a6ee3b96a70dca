package dev.loombench.orders.domain.customer;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.URI;
import java.net.URL;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

import dev.loombench.orders.domain.error.DownstreamFailedException;
import dev.loombench.orders.domain.error.DownstreamService;

/**
 * The pinning workload: the downstream customer call made the way a legacy blocking client library does it. Plain
 * {@link HttpURLConnection} (no pool of its own beyond the JDK's keep-alive cache), and every exchange runs
 * <em>inside</em> a {@code synchronized} block on one of {@code stripes} monitors picked by {@code id % stripes},
 * as a legacy connection pool guards each of its connections with {@code synchronized}.
 * <p>
 * Why striped and not one monitor: a single shared monitor would serialise every request on every JDK and thread
 * model, so it would measure lock contention, not pinning. With stripes, requests for different stripes never wait
 * for each other; the only thing that differs between runs is what a blocked virtual thread does to its carrier:
 * <ul>
 * <li>JDK 21: a virtual thread blocking in socket I/O while holding a monitor is pinned to its carrier, so at most
 * as many of these calls are in flight as there are carriers ({@code jdk.virtualThreadScheduler.parallelism},
 * default: available processors), however many virtual threads wait.</li>
 * <li>JDK 24+ (JEP 491): virtual threads unmount while holding monitors, so the calls are in flight together up
 * to the stripe count.</li>
 * <li>Platform threads (mvc-platform, WebFlux's boundedElastic): each call holds its thread either way.</li>
 * </ul>
 * Stateless apart from the monitors, so one instance serves the whole application.
 */
public final class LegacyCustomerClient {

    /** The library named in {@code /actuator/info}. */
    public static final String LIBRARY = "HttpURLConnection";

    public static final int DEFAULT_STRIPES = 64;

    /** Its own plain mapper, as a library would have: the application's JSON settings never reach it. */
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final String baseUrl;

    private final long delayMs;

    private final int timeoutMs;

    private final Object[] stripes;

    /**
     * @param baseUrl the downstream service ({@code ORDERS_DOWNSTREAM_URL})
     * @param delayMs passed to every call ({@code ORDERS_DOWNSTREAM_DELAY_MS})
     * @param stripes number of monitors ({@code ORDERS_LEGACY_STRIPES}), at least 1
     * @param timeoutMs connect timeout and read timeout ({@code ORDERS_HTTP_CLIENT_RESPONSE_TIMEOUT_MS}), positive
     */
    public LegacyCustomerClient(String baseUrl, long delayMs, int stripes, long timeoutMs) {
        if (baseUrl == null || baseUrl.isBlank()) {
            throw new IllegalArgumentException("baseUrl is required");
        }
        if (delayMs < 0) {
            throw new IllegalArgumentException("delayMs must not be negative: " + delayMs);
        }
        if (stripes < 1) {
            throw new IllegalArgumentException("stripes must be at least 1: " + stripes);
        }
        if (timeoutMs < 1 || timeoutMs > Integer.MAX_VALUE) {
            // HttpURLConnection takes int milliseconds and reads 0 as "wait forever".
            throw new IllegalArgumentException("timeoutMs must be from 1 to " + Integer.MAX_VALUE + ": " + timeoutMs);
        }
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.delayMs = delayMs;
        this.timeoutMs = (int) timeoutMs;
        this.stripes = new Object[stripes];
        for (int i = 0; i < stripes; i++) {
            this.stripes[i] = new Object();
        }
    }

    public int stripes() {
        return this.stripes.length;
    }

    public int timeoutMs() {
        return this.timeoutMs;
    }

    /** The monitor that guards calls for this id. */
    public int stripeOf(long customerId) {
        return (int) Math.floorMod(customerId, (long) this.stripes.length);
    }

    /**
     * Blocks the calling thread for the whole exchange while holding the id's stripe monitor.
     * @throws DownstreamFailedException ({@code CUSTOMER}) on any I/O error, timeout, non-200 status or bad body
     */
    public Customer fetch(long customerId) {
        URL url = url(customerId);
        byte[] body;
        synchronized (this.stripes[stripeOf(customerId)]) {
            body = exchange(url);
        }
        return decode(body);
    }

    private URL url(long customerId) {
        try {
            return URI.create(this.baseUrl + "/customers/" + customerId + "?delayMs=" + this.delayMs).toURL();
        }
        catch (IOException | IllegalArgumentException ex) {
            throw new DownstreamFailedException(DownstreamService.CUSTOMER, ex);
        }
    }

    private byte[] exchange(URL url) {
        HttpURLConnection connection = null;
        try {
            // Direct, like the other clients: no system proxy may sit between the app and the downstream.
            connection = (HttpURLConnection) url.openConnection(Proxy.NO_PROXY);
            connection.setConnectTimeout(this.timeoutMs);
            connection.setReadTimeout(this.timeoutMs);
            connection.setInstanceFollowRedirects(false);
            connection.setUseCaches(false);
            connection.setRequestProperty("Accept", "application/json");
            int status = connection.getResponseCode();
            if (status != HttpURLConnection.HTTP_OK) {
                drain(connection.getErrorStream());
                throw new IOException("customer service answered " + status);
            }
            try (InputStream in = connection.getInputStream()) {
                // Read to the end: only a fully read response lets the JDK keep the connection alive for reuse.
                return in.readAllBytes();
            }
        }
        catch (IOException ex) {
            if (connection != null) {
                connection.disconnect();
            }
            throw new DownstreamFailedException(DownstreamService.CUSTOMER, ex);
        }
    }

    private static void drain(InputStream errorBody) throws IOException {
        if (errorBody != null) {
            try (errorBody) {
                errorBody.readAllBytes();
            }
        }
    }

    private static Customer decode(byte[] body) {
        Customer customer;
        try {
            customer = JSON.readValue(body, Customer.class);
        }
        catch (JacksonException ex) {
            throw new DownstreamFailedException(DownstreamService.CUSTOMER, ex);
        }
        if (customer == null || customer.name() == null || customer.tier() == null) {
            throw new DownstreamFailedException(DownstreamService.CUSTOMER,
                    new IOException("customer service sent an incomplete body"));
        }
        return customer;
    }
}
