// Beacon webhook media type (Zabbix 6.0, Duktape ES5): posts the event to beacon-collector's
// POST /api/v1/alerts/zabbix. BeaconURL and BeaconToken configure it; every other parameter is
// an event field and is sent as it arrives. The token is never logged or sent in the body.
var Beacon = {
    url: null,
    token: null,

    // Keeps error texts short enough for the Zabbix alert list.
    excerpt: function (text) {
        text = String(text === null || typeof text === 'undefined' ? '' : text);
        return text.length > 300 ? text.substring(0, 300) + '...' : text;
    },

    send: function (event) {
        var request = new HttpRequest(),
            endpoint = Beacon.url + '/api/v1/alerts/zabbix',
            body = JSON.stringify(event),
            response,
            status;

        request.addHeader('Content-Type: application/json');
        request.addHeader('Authorization: Bearer ' + Beacon.token);

        Zabbix.log(4, '[ Beacon webhook ] sending event ' + event.EventID + ' to ' + endpoint);
        response = request.post(endpoint, body);
        status = request.getStatus();
        Zabbix.log(4, '[ Beacon webhook ] HTTP ' + status + ': ' + Beacon.excerpt(response));

        if (status < 200 || status >= 300) {
            throw 'beacon-collector answered HTTP ' + status + ': ' + Beacon.excerpt(response);
        }
        return response;
    }
};

try {
    var params = JSON.parse(value),
        event = {},
        name;

    if (typeof params.BeaconURL !== 'string' || !/^https?:\/\/[^\s]+$/.test(params.BeaconURL)) {
        throw 'parameter BeaconURL must be the collector URL, e.g. https://beacon-collector:8470';
    }
    if (typeof params.BeaconToken !== 'string' || params.BeaconToken === '' ||
            params.BeaconToken.charAt(0) === '<') {
        throw 'parameter BeaconToken must be the Zabbix source token of beacon-collector';
    }
    Beacon.url = params.BeaconURL.replace(/\/+$/, '');
    Beacon.token = params.BeaconToken;

    for (name in params) {
        if (params.hasOwnProperty(name) && name !== 'BeaconURL' && name !== 'BeaconToken') {
            event[name] = params[name];
        }
    }

    Beacon.send(event);
    return 'OK';
}
catch (error) {
    Zabbix.log(3, '[ Beacon webhook ] sending failed: ' + error);
    throw 'Sending to Beacon failed: ' + error;
}
