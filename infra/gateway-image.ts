// The gateway's container image: built from gateway/Dockerfile (context: the repository root) and
// pushed under the reference the chart renders, or an existing image used as is. Either way the chart
// gets the plain reference from the settings (never an Output); a build only adds ordering, so the
// gateway Deployment waits for the push.

import * as dockerBuild from '@pulumi/docker-build';
import * as pulumi from '@pulumi/pulumi';

/** Arguments of a {@link GatewayImage}. */
export interface GatewayImageArgs {
  /** The image reference the chart renders, pinned by tag (to build) or by digest (to use as is). */
  readonly image: string;
  /**
   * Build and push the image from the repository instead of using an existing one.
   * @default false
   */
  readonly build?: boolean;
  /**
   * The build context, the repository root.
   * @default - required when `build` is true
   */
  readonly contextPath?: pulumi.Input<string>;
  /**
   * The Dockerfile, relative to the working directory.
   * @default - `gateway/Dockerfile` under `contextPath`
   */
  readonly dockerfilePath?: pulumi.Input<string>;
  /**
   * Target platforms.
   * @default - the builder's platform
   */
  readonly platforms?: pulumi.Input<dockerBuild.Platform[]>;
}

/** The gateway image, built and pushed or referenced. */
export class GatewayImage extends pulumi.ComponentResource {
  /** The reference the chart uses (tag or digest), as given. */
  readonly imageName: pulumi.Output<string>;
  /** The pushed reference with its digest (`name:tag@sha256:…`); the given reference when not built. */
  readonly ref: pulumi.Output<string>;
  /** The build, when `build` is true. */
  readonly buildResource?: dockerBuild.Image;

  constructor(name: string, args: GatewayImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super('switchyard:infra:GatewayImage', name, {}, opts);

    if (args.build === true) {
      if (args.image.includes('@sha256:')) {
        throw new pulumi.ResourceError(`cannot build the gateway image as ${args.image}: a digest is the result of a build; pin the image by tag (e.g. switchyard-gateway:0.1.0) to build it`, this);
      }
      if (args.contextPath === undefined) throw new pulumi.ResourceError('contextPath is required to build the gateway image; pass the repository root', this);
      const context = pulumi.output(args.contextPath);
      this.buildResource = new dockerBuild.Image(
        `${name}-build`,
        {
          context: { location: context },
          dockerfile: { location: args.dockerfilePath ?? pulumi.interpolate`${context}/gateway/Dockerfile` },
          tags: [args.image],
          push: true,
          ...(args.platforms === undefined ? {} : { platforms: args.platforms }),
        },
        { parent: this },
      );
      this.ref = this.buildResource.ref;
    } else {
      this.ref = pulumi.output(args.image);
    }
    this.imageName = pulumi.output(args.image);
    this.registerOutputs({ imageName: this.imageName, ref: this.ref });
  }
}
