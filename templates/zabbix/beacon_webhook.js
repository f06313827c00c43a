// Beacon webhook media type (Zabbix 6.0, Duktape ES5): posts the event to beacon-collector's
// POST /api/v1/alerts/zabbix. BeaconURL and BeaconToken configure it; every other parameter is
// an event field and is sent as it arrives, plus EventTimestamp / EventRecoveryTimestamp (Unix
// seconds of EventDate / EventRecoveryDate). The token is never logged or sent in the body.
var Beacon = {
    url: null,
    token: null,

    // Unix seconds of a date as Zabbix writes {EVENT.DATE} {EVENT.TIME} ("2026.11.26 03:20:40",
    // or a date alone completed by time), or null for anything else (a macro left literal).
    // Zabbix writes these in the recipient user's time zone, by default the server's own; this
    // script runs inside the server, so Date reads them in the same zone.
    timestamp: function (date, time) {
        var text = typeof date === 'string' ? date.replace(/^\s+|\s+$/g, '') : '',
            match,
            local;

        if (/^\d{4}[.-]\d{2}[.-]\d{2}$/.test(text) && typeof time === 'string') {
            text += ' ' + time.replace(/^\s+|\s+$/g, '');
        }
        match = /^(\d{4})[.-](\d{2})[.-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/.exec(text);
        if (match === null || +match[4] > 23 || +match[5] > 59 || +match[6] > 59) {
            return null;
        }
        local = new Date(+match[1], +match[2] - 1, +match[3], +match[4], +match[5], +match[6]);
        // Date rolls 2026.02.30 over to March: such a date is left to the collector to refuse.
        if (local.getFullYear() !== +match[1] || local.getMonth() !== +match[2] - 1 ||
                local.getDate() !== +match[3]) {
            return null;
        }
        return String(Math.floor(local.getTime() / 1000));
    },

    // Sets event[name] (Unix seconds) from the date parameters unless the event already has one.
    addTimestamp: function (event, name, date, time) {
        var seconds;

        if (/^\d+$/.test(String(event[name]))) {
            return;
        }
        seconds = Beacon.timestamp(event[date], event[time]);
        if (seconds !== null) {
            event[name] = seconds;
        }
    },

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
    // The collector cannot know the Zabbix server's zone: send the instants as well.
    Beacon.addTimestamp(event, 'EventTimestamp', 'EventDate', 'EventTime');
    Beacon.addTimestamp(event, 'EventRecoveryTimestamp', 'EventRecoveryDate', 'EventRecoveryTime');

    Beacon.send(event);
    return 'OK';
}
catch (error) {
    Zabbix.log(3, '[ Beacon webhook ] sending failed: ' + error);
    throw 'Sending to Beacon failed: ' + error;
}
