/** SageMaker's DescribeEndpoint answer for an InService endpoint of one variant, as the loopback accounts give it. */
export function describeEndpointResponse(o: {
  readonly name: string;
  readonly arn: string;
  readonly config: string;
  readonly variant: string;
  readonly count: number | undefined;
  /** Epoch seconds. */
  readonly created: number;
  readonly modified: number;
}) {
  return {
    EndpointName: o.name,
    EndpointArn: o.arn,
    EndpointConfigName: o.config,
    ProductionVariants: [
      {
        VariantName: o.variant,
        CurrentWeight: 1,
        DesiredWeight: 1,
        CurrentInstanceCount: o.count,
        DesiredInstanceCount: o.count,
      },
    ],
    EndpointStatus: 'InService',
    CreationTime: o.created,
    LastModifiedTime: o.modified,
  };
}
