package dev.loombench.orders.mvc.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Raw HTTP against the running app: the contract is about exact bytes, so no client-side JSON handling. */
public record LiveServer(int port) {

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public HttpResponse<byte[]> get(String path) {
        return get(path, Duration.ofSeconds(30));
    }

    /** For requests that may legitimately wait longer than the default 30 s. */
    public HttpResponse<byte[]> get(String path, Duration timeout) {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + path))
            .timeout(timeout)
            .GET()
            .build());
    }

    /** {@code POST} with a JSON content type and {@code body} as UTF-8 bytes, exactly as given. */
    public HttpResponse<byte[]> post(String path, String body) {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + path))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
            .build());
    }

    private static HttpResponse<byte[]> send(HttpRequest request) {
        try {
            return CLIENT.send(request, HttpResponse.BodyHandlers.ofByteArray());
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }
}
