// CloudFront viewer-request function (runtime cloudfront-js-2.0).
// API Gateway WebSocket APIs accept connections only on the stage root, so a client's path
// (wss://host/any/path?q=1) would be refused. Move the path into the `ws-uri` header, which
// the $connect route stores with the connection, and send the request to `/`. The query
// string is left alone: CloudFront forwards it and $connect stores it as well.
// Kept to plain ES5 so that it runs the same in CloudFront, Node and the local gateway.
function handler(event) {
    var request = event.request;
    request.headers['ws-uri'] = { value: request.uri };
    request.uri = '/';
    return request;
}
