package dev.loombench.orders.mvc.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** Library versions from the pom.properties Maven packs into each jar (HikariCP has no Implementation-Version). */
final class LibraryVersion {

    private LibraryVersion() {
    }

    static String maven(Class<?> anchor, String groupId, String artifactId) {
        String resource = "META-INF/maven/" + groupId + "/" + artifactId + "/pom.properties";
        try (InputStream in = anchor.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                return "unknown";
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version", "unknown");
        }
        catch (IOException ex) {
            return "unknown";
        }
    }
}
