/** @type {import("next").NextConfig} */
const nextConfig = {
  poweredByHeader: false,
  reactStrictMode: true,
  // No ESLint in this demo: `tsc` (next build's type check) is the check.
  eslint: { ignoreDuringBuilds: true },
};

export default nextConfig;
