import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * Starts Amazon's DynamoDB Local listening on 127.0.0.1 only. Its own main class binds every interface and has
 * no option for the address; Jetty and the JVM honour no property for it either. This launcher builds the
 * server from the same command-line arguments, sets the host of its Jetty connector to loopback before the
 * socket is opened, and starts it. Run from source (`java -cp ... DynamoDbLocalOnLoopback.java -port N ...`), so
 * nothing is compiled ahead; that needs a JDK, not only a JRE.
 *
 * If DynamoDB Local's internals ever change, it stops with an error instead of listening on every interface.
 */
public class DynamoDbLocalOnLoopback {
  private static final String LOOPBACK = "127.0.0.1";

  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Server server = jettyServerOf(proxy);
    Connector[] connectors = server.getConnectors();
    if (connectors.length == 0) fail("DynamoDB Local's Jetty server has no connector to move to " + LOOPBACK);
    for (Connector connector : connectors) {
      if (!(connector instanceof ServerConnector)) {
        fail("DynamoDB Local's connector is a " + connector.getClass().getName() + ", not a ServerConnector");
      }
      ((ServerConnector) connector).setHost(LOOPBACK);
    }
    proxy.start();
  }

  private static Server jettyServerOf(DynamoDBProxyServer proxy) throws IllegalAccessException {
    try {
      Field field = DynamoDBProxyServer.class.getDeclaredField("server");
      field.setAccessible(true);
      return (Server) field.get(proxy);
    } catch (NoSuchFieldException | ClassCastException error) {
      fail("DynamoDB Local no longer keeps its Jetty server in DynamoDBProxyServer.server (" + error + ")");
      return null;
    }
  }

  private static void fail(String message) {
    System.err.println("DynamoDbLocalOnLoopback: " + message + "; refusing to listen on every interface");
    System.exit(2);
  }
}
