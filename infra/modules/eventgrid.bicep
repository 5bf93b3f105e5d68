// Event Grid from Communication Services to the app: inbound SMS and SMS/email delivery reports, in the CloudEvents
// schema, to /api/events/eventgrid?key=<Retention:EventGrid:Key>. Creating the subscription runs the CloudEvents
// validation handshake (OPTIONS) against the app, so the app must be deployed and running first.

param communicationServiceId string

param communicationServiceName string

param tags object = {}

@secure()
@description('The delivery URL, https://<app host>/api/events/eventgrid?key=<Retention:EventGrid:Key>: secure, since it carries the key.')
param endpointUrl string

@description('Create the subscription (the app must already answer the handshake).')
param subscribe bool

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: 'egst-${communicationServiceName}'
  location: 'global'
  tags: tags
  properties: {
    source: communicationServiceId
    topicType: 'Microsoft.Communication.CommunicationServices'
  }
}

resource toRetention 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = if (subscribe) {
  parent: topic
  name: 'acs-to-retention'
  properties: {
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: endpointUrl
        maxEventsPerBatch: 10
        preferredBatchSizeInKilobytes: 64
      }
    }
    eventDeliverySchema: 'CloudEventSchemaV1_0'
    filter: {
      includedEventTypes: [
        'Microsoft.Communication.SMSReceived'
        'Microsoft.Communication.SMSDeliveryReportReceived'
        'Microsoft.Communication.EmailDeliveryReportReceived'
      ]
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
  }
}

output systemTopicName string = topic.name
